package dev.beacon.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.store.Database;
import dev.beacon.store.Sql;
import dev.beacon.testing.Backend;
import dev.beacon.testing.FakeClock;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link QueueTimeline} on a real database of each kind, with a clock the test moves: which bucket each assignment's
 * wait lands in, by organization and by fleet; that minutes read once are not read again; and that the sampled
 * counts of jobs waiting keep each minute's highest and leave unsampled minutes empty. Rows are written straight
 * into the tables with the timestamps the test needs.
 */
@ParameterizedClass
@EnumSource(Backend.class)
class QueueTimelineTest {
    /** Thirty seconds into the minute 12:00. */
    static final Instant T0 = Instant.parse("2026-03-01T12:00:30Z");

    @Parameter
    Backend backend;

    @TempDir
    Path dir;
    String url;
    Database db;
    final FakeClock clock = new FakeClock(T0);
    QueueTimeline timeline;

    @BeforeEach
    void open() {
        url = backend.createDatabase(dir);
        db = Database.open(url == null ? Database.sqliteUrl(dir) : url);
        write("INSERT INTO organizations (id, name, created_at) VALUES ('o1', 'acme', 0)");
        write("INSERT INTO organizations (id, name, created_at) VALUES ('o2', 'other', 0)");
        write("INSERT INTO sites (id, org_id, name, created_at) VALUES ('s1', 'o1', 'lab', 0)");
        write("INSERT INTO fleets (id, org_id, site_id, name, created_at) VALUES ('f1', 'o1', 's1', 'arms', 0)");
        write("INSERT INTO fleets (id, org_id, site_id, name, created_at) VALUES ('f2', 'o1', 's1', 'carts', 0)");
        for (String[] robot : List.of(new String[] {"r1", "f1"}, new String[] {"r2", "f2"})) {
            write("INSERT INTO robots (id, org_id, site_id, fleet_id, name, enrolled_at, status) VALUES (?, 'o1', 's1', ?, ?, 0, 'offline')",
                    robot[0], robot[1], robot[0]);
        }
        timeline = new QueueTimeline(clock, new QueueHistoryStore(db));
    }

    @AfterEach
    void close() {
        db.close();
        Backend.dropDatabase(url);
    }

    @Test
    void each_assignment_counts_in_the_minute_and_half_hour_it_was_made_by_organization_and_fleet() {
        assigned("a1", "r1", T0.minusSeconds(300), 2_000);   // 11:55:30 after 2 s
        assigned("a2", "r2", T0.minusSeconds(290), 4_000);   // 11:55:40 after 4 s
        assigned("a3", "r1", T0.minusSeconds(140), 10_000);  // 11:58:10 after 10 s
        assigned("a4", "r1", T0.minus(Duration.ofHours(3)), 60_000);  // 09:00:30, only in the day
        assigned("a5", "r1", T0.minus(Duration.ofHours(25)), 1_000);  // before the day: nowhere
        queued("q1", "f1");
        queued("q2", null);

        QueueHistory all = timeline.of("o1", null);

        List<QueueHistory.Bucket> hour = all.lastHour().buckets();
        assertThat(hour).hasSize(60);
        assertThat(hour.getLast().start()).isEqualTo(Instant.parse("2026-03-01T12:00:00Z"));
        assertThat(hour.getFirst().start()).isEqualTo(Instant.parse("2026-03-01T11:01:00Z"));
        QueueHistory.Bucket at1155 = bucket(hour, "2026-03-01T11:55:00Z");
        assertThat(at1155.assigned()).isEqualTo(2);
        assertThat(at1155.avgWaitS()).isEqualTo(3.0);
        assertThat(at1155.maxWaitS()).isEqualTo(4.0);
        assertThat(bucket(hour, "2026-03-01T11:58:00Z").maxWaitS()).isEqualTo(10.0);
        assertThat(hour.stream().mapToLong(QueueHistory.Bucket::assigned).sum()).isEqualTo(3);
        assertThat(all.lastHour().avgWaitS()).isEqualTo(16.0 / 3);
        assertThat(all.lastHour().maxWaitS()).isEqualTo(10.0);
        // Jobs waiting: sampled by the read itself, in the current minute; no earlier minute was sampled.
        assertThat(hour.getLast().peakQueued()).isEqualTo(2);
        assertThat(hour.subList(0, 59)).allMatch(b -> b.peakQueued() == null);
        assertThat(all.lastHour().peakQueued()).isEqualTo(2);

        List<QueueHistory.Bucket> day = all.lastDay().buckets();
        assertThat(day).hasSize(48);
        assertThat(day.getLast().start()).isEqualTo(Instant.parse("2026-03-01T12:00:00Z"));
        assertThat(day.getFirst().start()).isEqualTo(Instant.parse("2026-02-28T12:30:00Z"));
        assertThat(bucket(day, "2026-03-01T11:30:00Z").assigned()).isEqualTo(3);
        assertThat(bucket(day, "2026-03-01T11:30:00Z").maxWaitS()).isEqualTo(10.0);
        assertThat(bucket(day, "2026-03-01T09:00:00Z").avgWaitS()).isEqualTo(60.0);
        assertThat(all.lastDay().assigned()).isEqualTo(4);

        QueueHistory arms = timeline.of("o1", "f1");
        assertThat(bucket(arms.lastHour().buckets(), "2026-03-01T11:55:00Z").assigned()).isEqualTo(1);
        assertThat(bucket(arms.lastHour().buckets(), "2026-03-01T11:55:00Z").avgWaitS()).isEqualTo(2.0);
        assertThat(arms.lastHour().peakQueued()).isEqualTo(1);
        assertThat(arms.lastDay().assigned()).isEqualTo(3);
        QueueHistory carts = timeline.of("o1", "f2");
        assertThat(carts.lastHour().assigned()).isEqualTo(1);
        assertThat(carts.lastHour().maxWaitS()).isEqualTo(4.0);
        assertThat(carts.lastHour().peakQueued()).as("sampled, none targeted at it").isZero();

        QueueHistory other = timeline.of("o2", null);
        assertThat(other.lastDay().assigned()).isZero();
        assertThat(other.lastDay().isQuiet()).isTrue();
    }

    @Test
    void waits_are_read_at_most_every_ten_seconds_and_a_settled_minute_never_again() {
        assigned("a1", "r1", T0.minusSeconds(10), 1_000); // 12:00:20
        assertThat(timeline.of("o1", null).lastHour().assigned()).isEqualTo(1);

        // A late row in a minute long settled (11:50), and a new one in the current minute.
        assigned("late", "r1", T0.minusSeconds(600), 1_000);
        assigned("a2", "r1", T0.plusSeconds(5), 3_000);
        clock.advance(Duration.ofSeconds(9));
        assertThat(timeline.of("o1", null).lastHour().assigned()).as("cached for ten seconds").isEqualTo(1);

        clock.advance(Duration.ofSeconds(1));
        QueueHistory.Window hour = timeline.of("o1", null).lastHour();
        assertThat(hour.assigned()).as("the current minute read again, 11:50 not").isEqualTo(2);
        assertThat(bucket(hour.buckets(), "2026-03-01T11:50:00Z").assigned()).isZero();
        assertThat(hour.buckets().getLast().maxWaitS()).isEqualTo(3.0);
    }

    @Test
    void samples_keep_each_minutes_highest_count_for_the_organization_and_its_fleets() {
        queued("q1", "f1");
        queued("q2", "f1");
        queued("q3", null);
        timeline.sampleAll();
        write("UPDATE jobs SET status = 'cancelled' WHERE id IN ('q1', 'q2')");
        clock.advance(Duration.ofSeconds(15));
        timeline.sampleAll();
        clock.advance(Duration.ofMinutes(1));
        timeline.sampleAll();
        clock.advance(Duration.ofMinutes(2)); // 12:03:45: 12:02 and this minute not sampled by the scheduler

        QueueHistory history = timeline.of("o1", null);
        List<QueueHistory.Bucket> hour = history.lastHour().buckets();
        assertThat(bucket(hour, "2026-03-01T12:00:00Z").peakQueued()).as("the highest of two samples").isEqualTo(3);
        assertThat(bucket(hour, "2026-03-01T12:01:00Z").peakQueued()).isEqualTo(1);
        assertThat(bucket(hour, "2026-03-01T12:02:00Z").peakQueued()).as("a gap, not a zero").isNull();
        assertThat(bucket(hour, "2026-03-01T12:03:00Z").peakQueued()).as("sampled by the read").isEqualTo(1);
        assertThat(bucket(history.lastDay().buckets(), "2026-03-01T12:00:00Z").peakQueued()).isEqualTo(3);

        List<QueueHistory.Bucket> arms = timeline.of("o1", "f1").lastHour().buckets();
        assertThat(bucket(arms, "2026-03-01T12:00:00Z").peakQueued()).isEqualTo(2);
        assertThat(bucket(arms, "2026-03-01T12:01:00Z").peakQueued()).isZero();
        assertThat(bucket(timeline.of("o2", null).lastHour().buckets(), "2026-03-01T12:01:00Z").peakQueued())
                .as("an organization without jobs is sampled too").isZero();
    }

    private static QueueHistory.Bucket bucket(List<QueueHistory.Bucket> buckets, String start) {
        return buckets.stream().filter(b -> b.start().equals(Instant.parse(start))).findFirst().orElseThrow();
    }

    private void assigned(String id, String robotId, Instant assignedAt, long waitMillis) {
        long queuedAt = assignedAt.toEpochMilli() - waitMillis;
        write("""
                        INSERT INTO jobs (id, org_id, kind, payload, timeout_s, max_attempts, attempts, status, robot_id,
                                          created_at, queued_at, assigned_at, updated_at)
                        VALUES (?, 'o1', 'scan', '{}', 300, 1, 1, 'succeeded', ?, ?, ?, ?, ?)""",
                id, robotId, queuedAt, queuedAt, assignedAt.toEpochMilli(), assignedAt.toEpochMilli());
    }

    private void queued(String id, String fleetId) {
        long at = T0.toEpochMilli() - 1_000;
        write("""
                        INSERT INTO jobs (id, org_id, kind, payload, target_fleet_id, timeout_s, max_attempts, attempts, status,
                                          created_at, queued_at, updated_at)
                        VALUES (?, 'o1', 'scan', '{}', ?, 300, 1, 0, 'queued', ?, ?, ?)""",
                id, fleetId, at, at, at);
    }

    private void write(String sql, Object... params) {
        db.write(tx -> {
            Connection connection = tx.connection();
            Sql.update(connection, sql, params);
            return null;
        });
    }
}
