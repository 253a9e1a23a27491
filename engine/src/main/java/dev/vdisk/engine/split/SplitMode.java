package dev.vdisk.engine.split;

/** How the splitter fills a clone's holes that read data through its backing chain. */
public enum SplitMode {
    /**
     * Point the hole at the backing's data segment and take a reference on it: the segment becomes shared,
     * so a later write to it redirects. Costs metadata only; no data moves.
     */
    SHARE,
    /**
     * Copy the backing's data to a newly allocated segment of the clone without changing it:
     * afterwards the clone shares no data segment and no indirect block with its former chain.
     */
    COPY
}
