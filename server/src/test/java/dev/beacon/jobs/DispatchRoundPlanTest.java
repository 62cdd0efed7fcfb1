package dev.beacon.jobs;

import static dev.beacon.jobs.Slots.job;
import static dev.beacon.jobs.Slots.slot;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Planning a round over given queued jobs and idle robots ({@link DispatchRound#plan}). Runs on JUnit's thread. */
class DispatchRoundPlanTest {
    private final Slot first = slot("first", List.of("echo"));
    private final Slot second = slot("second", List.of("echo", "shell"));
    private final Slot third = slot("third", List.of("echo"));

    @Test
    void jobs_in_queue_order_go_to_the_longest_idle_robot_that_can_run_them() {
        List<DispatchRound.Plan> plans = DispatchRound.plan(
                List.of(job("j1", "echo"), job("j2", "echo"), job("j3", "echo")), List.of(first, second, third));

        assertThat(plans).extracting(plan -> plan.job().id() + "→" + plan.slot().robotId)
                .containsExactly("j1→first", "j2→second", "j3→third");
    }

    @Test
    void a_job_no_idle_robot_can_run_is_skipped_without_holding_up_the_rest() {
        List<DispatchRound.Plan> plans = DispatchRound.plan(
                List.of(job("needs-shell", "shell"), job("lint", "lint"), job("j2", "echo"), job("j3", "echo")),
                List.of(first, second));

        assertThat(plans).extracting(plan -> plan.job().id() + "→" + plan.slot().robotId)
                .containsExactly("needs-shell→second", "j2→first");
    }

    @Test
    void each_robot_takes_one_job_and_planning_stops_when_none_is_left() {
        List<DispatchRound.Plan> plans = DispatchRound.plan(List.of(job("j1", "echo"), job("j2", "echo")), List.of(first));

        assertThat(plans).hasSize(1);
        assertThat(DispatchRound.plan(List.of(job("j1", "echo")), List.of())).isEmpty();
        assertThat(first.currentJobId).isNull(); // planning reserves nothing
    }

    @Test
    void a_paused_robot_gets_no_job() {
        first.robot = Slots.robot("first", List.of("echo"), true);

        assertThat(DispatchRound.plan(List.of(job("j1", "echo")), List.of(first, third)))
                .extracting(plan -> plan.slot().robotId).containsExactly("third");
    }
}
