package dev.beacon.agentchannel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.agentchannel.Liveness.Verdict;
import dev.beacon.testing.FakeTicker;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The liveness rules without a socket: when a sweep closes a connection, and how many heartbeats a connection may send. */
class LivenessTest {
    private static final long INTERVAL_NANOS = Duration.ofSeconds(10).toNanos();
    private static final long SILENCE_LIMIT = INTERVAL_NANOS * Liveness.MISSED_HEARTBEATS;
    private final FakeTicker ticker = new FakeTicker();

    private AgentSocket socketHeardNow() {
        return new AgentSocket("ses_1", "rob_1", "bot-1", "org_1", "127.0.0.1", "hash", null, ticker.getAsLong(), 0);
    }

    private Verdict sweptAfter(AgentSocket socket, Duration silence) {
        return Liveness.verdict(socket, socket.lastHeardNanos + silence.toNanos(), SILENCE_LIMIT);
    }

    @Test
    void a_connection_without_hello_is_kept_ten_seconds_then_closed() {
        AgentSocket socket = socketHeardNow();
        assertThat(sweptAfter(socket, Duration.ofSeconds(10))).isEqualTo(Verdict.KEEP);
        assertThat(sweptAfter(socket, Duration.ofSeconds(10).plusNanos(1))).isEqualTo(Verdict.HELLO_TIMEOUT);
    }

    @Test
    void a_hello_still_being_recorded_is_not_timed_out_and_a_failed_one_is() {
        AgentSocket socket = socketHeardNow();
        socket.helloInFlight = true; // said at 9 s, its presence write queued behind a storm's others
        assertThat(sweptAfter(socket, Duration.ofSeconds(25))).isEqualTo(Verdict.KEEP);
        socket.helloInFlight = false; // the hello failed (an unreadable one), so the deadline counts again
        assertThat(sweptAfter(socket, Duration.ofSeconds(25))).isEqualTo(Verdict.HELLO_TIMEOUT);
    }

    @Test
    void a_greeted_connection_is_kept_until_three_intervals_pass_without_a_heartbeat() {
        AgentSocket socket = socketHeardNow();
        socket.greeted = true;
        assertThat(sweptAfter(socket, Duration.ofSeconds(29))).isEqualTo(Verdict.KEEP);
        assertThat(sweptAfter(socket, Duration.ofSeconds(30))).isEqualTo(Verdict.KEEP);
        assertThat(sweptAfter(socket, Duration.ofSeconds(30).plusNanos(1))).isEqualTo(Verdict.HEARTBEAT_TIMEOUT);
    }

    @Test
    void a_rotate_only_connection_needs_no_heartbeats_but_lasts_thirty_seconds() {
        AgentSocket socket = socketHeardNow();
        socket.rotateOnly = true;
        assertThat(sweptAfter(socket, Duration.ofSeconds(29))).isEqualTo(Verdict.KEEP);
        assertThat(sweptAfter(socket, Duration.ofSeconds(30).plusNanos(1))).isEqualTo(Verdict.ROTATE_ONLY_TIMEOUT);
    }

    @Test
    void a_heartbeat_resets_the_silence() {
        AgentSocket socket = socketHeardNow();
        socket.greeted = true;
        ticker.advance(Duration.ofSeconds(25));
        socket.lastHeardNanos = ticker.getAsLong();
        ticker.advance(Duration.ofSeconds(25));
        assertThat(Liveness.verdict(socket, ticker.getAsLong(), SILENCE_LIMIT)).isEqualTo(Verdict.KEEP);
    }

    @Test
    void a_connection_may_send_a_burst_of_heartbeats_then_five_a_second() {
        Bucket budget = Liveness.heartbeatBudget(meter(ticker));
        for (int i = 0; i < Liveness.HEARTBEAT_BURST; i++) {
            assertThat(budget.tryConsume(1)).as("heartbeat %d of the burst", i + 1).isTrue();
        }
        assertThat(budget.tryConsume(1)).as("one more at once").isFalse();

        ticker.advance(Duration.ofSeconds(1));
        for (int i = 0; i < Liveness.HEARTBEATS_PER_SECOND; i++) {
            assertThat(budget.tryConsume(1)).as("heartbeat %d of the next second", i + 1).isTrue();
        }
        assertThat(budget.tryConsume(1)).isFalse();
    }

    /** Bucket4j time that moves with the test's ticker. */
    static TimeMeter meter(FakeTicker ticker) {
        return new TimeMeter() {
            @Override
            public long currentTimeNanos() {
                return ticker.getAsLong();
            }

            @Override
            public boolean isWallClockBased() {
                return false;
            }
        };
    }
}
