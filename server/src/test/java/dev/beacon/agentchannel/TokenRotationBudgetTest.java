package dev.beacon.agentchannel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.beacon.testing.FakeTicker;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The per-robot budget of agent-initiated token rotations, and the retry time an agent is told when it is spent. */
class TokenRotationBudgetTest {
    private final FakeTicker ticker = new FakeTicker();
    private final Bucket budget = TokenRotation.agentBudget(LivenessTest.meter(ticker));

    private void spendTheBurst() {
        for (int i = 0; i < TokenRotation.AGENT_ROTATION_BURST; i++) {
            assertThat(budget.tryConsume(1)).as("rotation %d of the burst", i + 1).isTrue();
        }
    }

    @Test
    void a_robot_may_rotate_five_times_at_once_and_is_told_to_wait_two_minutes_for_the_sixth() {
        spendTheBurst();
        ConsumptionProbe refused = budget.tryConsumeAndReturnRemaining(1);
        assertThat(refused.isConsumed()).isFalse();
        assertThat(TokenRotation.secondsToRetry(refused)).isEqualTo(121);
    }

    @Test
    void the_retry_time_counts_down_and_is_never_zero() {
        spendTheBurst();
        ticker.advance(Duration.ofSeconds(119).plusMillis(500));
        assertThat(TokenRotation.secondsToRetry(budget.tryConsumeAndReturnRemaining(1))).isEqualTo(1);
    }

    @Test
    void one_rotation_comes_back_every_two_minutes() {
        spendTheBurst();
        ticker.advance(TokenRotation.AGENT_ROTATION_REFILL);
        assertThat(budget.tryConsume(1)).isTrue();
        assertThat(budget.tryConsume(1)).isFalse();
    }
}
