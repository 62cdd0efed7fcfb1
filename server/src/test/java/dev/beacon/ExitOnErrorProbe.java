package dev.beacon;

import java.util.concurrent.CountDownLatch;

/**
 * Run as its own process by {@link ExitOnErrorTest}: with the policy installed (argument {@code policy}) or not, a
 * worker thread dies of an Error while the main thread waits forever, like a server whose jar changed underneath.
 */
public final class ExitOnErrorProbe {
    private ExitOnErrorProbe() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length > 0 && args[0].equals("policy")) {
            ExitOnError.install();
        }
        Thread.ofPlatform().name("worker").start(() -> {
            throw new NoClassDefFoundError("dev/beacon/Gone");
        });
        new CountDownLatch(1).await();
    }
}
