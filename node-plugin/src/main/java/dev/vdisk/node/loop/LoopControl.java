package dev.vdisk.node.loop;

import dev.vdisk.node.sys.Libc;
import java.io.IOException;

/** /dev/loop-control: hands out the number of a free loop device, creating one if none is free. */
final class LoopControl {
    private static final long LOOP_CTL_GET_FREE = 0x4C82;

    private LoopControl() {}

    static int getFree() throws IOException {
        int fd = Libc.checkedOpen("/dev/loop-control", Libc.O_RDWR);
        try {
            return Libc.checkedIoctl(fd, LOOP_CTL_GET_FREE, 0L, "ioctl(LOOP_CTL_GET_FREE)");
        } finally {
            Libc.close(fd);
        }
    }
}
