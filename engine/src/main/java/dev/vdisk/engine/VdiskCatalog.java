package dev.vdisk.engine;

import dev.vdisk.engine.core.GuardedBy;
import dev.vdisk.engine.error.InvalidRangeException;
import dev.vdisk.engine.error.VdiskExistsException;
import dev.vdisk.engine.error.VdiskNotFoundException;
import dev.vdisk.engine.format.Kind;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An open pool's catalog in memory: every entry (vdisks, snapshots, hidden snapshots) by id, vdisks and visible
 * snapshots by name (one namespace), and the next entry id. Written under {@code Pool.cpLock}; read freely.
 */
final class VdiskCatalog {
    /** Largest vdisk: 1 PiB. */
    static final long MAX_VDISK_SIZE = 1L << 50;

    private final ConcurrentHashMap<String, Vdisk> byName = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Vdisk> snapsByName = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Vdisk> byId = new ConcurrentHashMap<>();

    @GuardedBy("Pool.cpLock")
    private long nextId;

    VdiskCatalog(long nextId) {
        this.nextId = nextId;
    }

    /** Takes the id of a new entry. */
    @GuardedBy("Pool.cpLock")
    long takeId() {
        return nextId++;
    }

    /** The id the next entry gets (a consistency point records it). */
    @GuardedBy("Pool.cpLock")
    long nextId() {
        return nextId;
    }

    /** Every entry (a live view). */
    Collection<Vdisk> all() {
        return byId.values();
    }

    /** The entry with id {@code id}, or null. */
    Vdisk byId(long id) {
        return byId.get(id);
    }

    /** True while {@code v} is the catalog's entry for its id (not deleted). */
    boolean isLive(Vdisk v) {
        return byId.get(v.id()) == v;
    }

    /** Vdisks (not snapshots), a live view. */
    Collection<Vdisk> vdisks() {
        return byName.values();
    }

    /** Visible snapshots, a live view. */
    Collection<Vdisk> snapshots() {
        return snapsByName.values();
    }

    int vdiskCount() {
        return byName.size();
    }

    /** Vdisk {@code name}, or null. */
    Vdisk vdiskOrNull(String name) {
        return byName.get(name);
    }

    /** Visible snapshot {@code name}, or null. */
    Vdisk snapshotOrNull(String name) {
        return snapsByName.get(name);
    }

    /** Vdisk {@code name}; throws {@link VdiskNotFoundException} if there is none. */
    Vdisk vdisk(String name) {
        Vdisk v = byName.get(name);
        if (v == null) {
            throw new VdiskNotFoundException(
                    "vdisk " + name + " does not exist in the pool; list them with 'vdisk ls'");
        }
        return v;
    }

    /** Visible snapshot {@code name}; throws {@link VdiskNotFoundException} if there is none. */
    Vdisk snapshot(String name) {
        Vdisk s = snapsByName.get(name);
        if (s == null) {
            throw new VdiskNotFoundException(
                    "vdisk or snapshot " + name + " does not exist in the pool; list them" + " with 'vdisk ls'");
        }
        return s;
    }

    /** Adds an entry by id (found by name only once {@link #name}d). */
    @GuardedBy("Pool.cpLock")
    void add(Vdisk v) {
        byId.put(v.id(), v);
    }

    /** Makes {@code v} findable by its name: as a vdisk, or as a snapshot unless hidden. */
    @GuardedBy("Pool.cpLock")
    void name(Vdisk v) {
        if (v.kind() == Kind.VDISK) {
            byName.put(v.name(), v);
        } else if (!v.hidden()) {
            snapsByName.put(v.name(), v);
        }
    }

    @GuardedBy("Pool.cpLock")
    void unnameVdisk(String name) {
        byName.remove(name);
    }

    @GuardedBy("Pool.cpLock")
    void unnameSnapshot(String name) {
        snapsByName.remove(name);
    }

    @GuardedBy("Pool.cpLock")
    void remove(Vdisk v) {
        byId.remove(v.id());
    }

    /** Throws {@link VdiskExistsException} if a vdisk or visible snapshot is called {@code name}. */
    @GuardedBy("Pool.cpLock")
    void checkNameFree(String name) {
        if (byName.containsKey(name) || snapsByName.containsKey(name)) {
            throw new VdiskExistsException((byName.containsKey(name) ? "vdisk " : "snapshot ") + name
                    + " already exists in the pool; pick another name or delete it first");
        }
    }

    /** Names of the vdisks (the writable catalog entries, which journal records name) by id, for reports. */
    Map<Long, String> vdiskNamesById() {
        Map<Long, String> out = new TreeMap<>();
        for (Vdisk v : byId.values()) {
            if (v.kind() == Kind.VDISK) {
                out.put(v.id(), v.name());
            }
        }
        return out;
    }

    static void checkName(String name) {
        if (name == null || name.isEmpty() || name.length() > 253 || !name.matches("[A-Za-z0-9._:-]+")) {
            throw new InvalidRangeException("vdisk name '" + name + "' is invalid: use 1-253 characters of"
                    + " letters, digits, '.', '_', ':' and '-'");
        }
    }

    static void checkSize(long size) {
        if (size <= 0 || size % Slab.BLOCK != 0 || size > MAX_VDISK_SIZE) {
            throw new InvalidRangeException(
                    "vdisk size " + size + " must be a positive multiple of 4096 up to " + MAX_VDISK_SIZE + " bytes");
        }
    }
}
