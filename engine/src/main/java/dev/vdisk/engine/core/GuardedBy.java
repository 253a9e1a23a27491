package dev.vdisk.engine.core;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** Documents which lock guards a field or must be held to call a method (not checked by tools). */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target({ElementType.FIELD, ElementType.METHOD})
public @interface GuardedBy {
    /** The lock, as an expression readable in the declaring class, e.g. {@code "lock"} or {@code "Vdisk.opLock"}. */
    String value();
}
