package dev.beacon.server;

import dev.beacon.store.Database;
import dev.beacon.store.Dialect;
import dev.beacon.store.SqliteSpace;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives the pages that deleted rows freed in an SQLite database back to the disk, every {@link #PERIOD_MINUTES}
 * minutes on the server's scheduler thread, in steps of {@link #PAGES_PER_STEP} pages so that no step holds the
 * writer for long. Nothing on PostgreSQL, whose autovacuum reuses the space. Thread-safe.
 */
public final class SpaceReclaimer {
    private static final Logger log = LoggerFactory.getLogger(SpaceReclaimer.class);
    /** 2 MiB at SQLite's default 4 KiB page: one step writes that much to the WAL, a few milliseconds of the writer. */
    static final int PAGES_PER_STEP = 512;
    /** Up to 16 MiB per run, 11 GiB a day: more than retention frees on any fleet Beacon is sized for. */
    static final int STEPS_PER_RUN = 8;
    static final long PERIOD_MINUTES = 2;

    private final Database db;

    public SpaceReclaimer(Database db) {
        this.db = db;
    }

    /** On SQLite, says at start whether the database can give space back, and schedules {@link #reclaim} on {@code scheduler}. */
    static void schedule(Database db, ScheduledExecutorService scheduler) {
        if (db.dialect() != Dialect.SQLITE) {
            return;
        }
        if (SqliteSpace.autoVacuum(db) != SqliteSpace.INCREMENTAL) {
            log.info("the SQLite database was created before Beacon set auto_vacuum=INCREMENTAL: it keeps the space of deleted rows "
                    + "for reuse but never gives it back to the disk until `beacon admin compact` (with the server stopped) converts it");
        }
        SpaceReclaimer reclaimer = new SpaceReclaimer(db);
        scheduler.scheduleWithFixedDelay(reclaimer::reclaim, PERIOD_MINUTES, PERIOD_MINUTES, TimeUnit.MINUTES);
    }

    /** One run: up to {@code STEPS_PER_RUN × PAGES_PER_STEP} free pages back to the disk; returns how many. Never throws. */
    public long reclaim() {
        try {
            long pages = SqliteSpace.reclaim(db, PAGES_PER_STEP, STEPS_PER_RUN);
            if (pages > 0) {
                log.debug("gave {} free database pages back to the disk", pages);
            }
            return pages;
        } catch (RuntimeException e) {
            // A failed run (the database busy past its timeout) is retried at the next; the scheduler must keep it.
            log.warn("could not give free database pages back to the disk: {}", e.getMessage());
            return 0;
        }
    }
}
