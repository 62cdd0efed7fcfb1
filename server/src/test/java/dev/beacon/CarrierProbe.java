package dev.beacon;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Run as its own process, on one CPU, by {@link CarriersTest}: with Beacon's carrier floor ({@code floor}) or without,
 * one virtual thread runs a long SQLite statement (native code, which pins its carrier) while another virtual thread
 * is asked for a trivial task. Prints {@code answered} if the trivial task ran while the statement was still running,
 * {@code starved} if it had to wait for the statement to end.
 */
public final class CarrierProbe {
    private CarrierProbe() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("floor")) {
            Main.enoughCarriers();
        }
        CountDownLatch reading = new CountDownLatch(1);
        CountDownLatch readDone = new CountDownLatch(1);
        Thread.ofVirtual().start(() -> {
            try (Connection connection = DriverManager.getConnection("jdbc:sqlite::memory:");
                 Statement statement = connection.createStatement()) {
                reading.countDown();
                // some seconds of work inside SQLite
                try (ResultSet result = statement.executeQuery("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                        + "WHERE i < 8000000) SELECT count(*) FROM n")) {
                    result.next();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            } finally {
                readDone.countDown();
            }
        });
        reading.await();
        Thread.sleep(200);   // the statement is under way
        CountDownLatch trivial = new CountDownLatch(1);
        Thread.ofVirtual().start(trivial::countDown);
        trivial.await();
        System.out.println(readDone.await(0, TimeUnit.MILLISECONDS) ? "starved" : "answered");
        readDone.await();
    }
}
