package dev.vdisk.node.loop;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * The argument of LOOP_CONFIGURE ({@code include/uapi/linux/loop.h}).
 *
 * <p>Layout (little-endian, 304 bytes):
 * <pre>
 * struct loop_config  fd u32 @0 | block_size u32 @4 | info loop_info64 @8 | __reserved u64[8] @240
 * struct loop_info64  lo_device u64 @0 | lo_inode @8 | lo_rdevice @16 | lo_offset @24 | lo_sizelimit @32
 *                     | lo_number u32 @40 | lo_encrypt_type @44 | lo_encrypt_key_size @48 | lo_flags @52
 *                     | lo_file_name u8[64] @56 | lo_crypt_name u8[64] @120 | lo_encrypt_key u8[32] @184
 *                     | lo_init u64[2] @216                                              (232 bytes)
 * </pre>
 *
 * @param backingFd  descriptor of the backing file (the loop driver takes its own reference)
 * @param blockSize  logical block size of the device
 * @param flags      LO_FLAGS_* bits
 * @param fileName   lo_file_name: what LOOP_GET_STATUS64 reports (truncated to 63 bytes); the volume ID
 */
record LoopConfig(int backingFd, int blockSize, int flags, String fileName) {
    static final long SIZE = 304;
    static final int LO_FLAGS_READ_ONLY = 1, LO_FLAGS_AUTOCLEAR = 4, LO_FLAGS_PARTSCAN = 8, LO_FLAGS_DIRECT_IO = 16;
    private static final long INFO = 8;
    private static final long INFO_FLAGS = INFO + 52;
    private static final long INFO_FILE_NAME = INFO + 56;
    private static final int NAME_SIZE = 64;

    static final long INFO_SIZE = 232;

    /** What LOOP_GET_STATUS64 reports that we check: lo_number and lo_file_name (loop_info64 above). */
    record Status(int number, String fileName) {
        static Status decode(MemorySegment info) {
            byte[] name = info.asSlice(INFO_FILE_NAME - INFO, NAME_SIZE).toArray(JAVA_BYTE);
            int end = 0;
            while (end < name.length && name[end] != 0) {
                end++;
            }
            return new Status(info.get(JAVA_INT_UNALIGNED, 40), new String(name, 0, end, StandardCharsets.UTF_8));
        }
    }

    /** lo_file_name as the kernel keeps it: at most 63 bytes. */
    static String truncatedName(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        return bytes.length <= NAME_SIZE - 1 ? name : new String(bytes, 0, NAME_SIZE - 1, StandardCharsets.UTF_8);
    }

    void encode(MemorySegment m) {
        m.asSlice(0, SIZE).fill((byte) 0);
        m.set(JAVA_INT_UNALIGNED, 0, backingFd);
        m.set(JAVA_INT_UNALIGNED, 4, blockSize);
        m.set(JAVA_INT_UNALIGNED, INFO_FLAGS, flags);
        byte[] name = fileName.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(name.length, NAME_SIZE - 1);
        MemorySegment.copy(MemorySegment.ofArray(name), 0, m, INFO_FILE_NAME, n);
        m.set(JAVA_LONG_UNALIGNED, INFO + 32, 0L);
    }
}
