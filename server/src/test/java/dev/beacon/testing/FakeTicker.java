package dev.beacon.testing;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A monotonic nanosecond ticker that tests move by hand, in place of {@code System::nanoTime} (see
 * {@code ServerConfig.withTicker}), so a timeout can be crossed without waiting for it. Thread-safe.
 */
public final class FakeTicker implements LongSupplier {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    public void advance(Duration duration) {
        nanos.addAndGet(duration.toNanos());
    }

    @Override
    public long getAsLong() {
        return nanos.get();
    }
}
