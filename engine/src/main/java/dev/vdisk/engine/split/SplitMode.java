package dev.vdisk.engine.split;

/** How the splitter fills a clone's holes that read data through its backing chain (seed 000, claims 1-5). */
public enum SplitMode {
    /**
     * Point the hole at the backing's data segment and take a reference on it (claim 1): the segment becomes shared,
     * so a later write to it redirects. Costs metadata only; no data moves.
     */
    SHARE,
    /**
     * Copy the backing's data to a newly allocated segment of the clone without changing it (claims 2-5, 40-42):
     * afterwards the clone shares no data segment and no indirect block with its former chain.
     */
    COPY
}
