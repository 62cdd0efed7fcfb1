package dev.beacon.jobs;

import static dev.beacon.jobs.Slots.ORG;
import static dev.beacon.jobs.Slots.T0;
import static dev.beacon.jobs.Slots.job;
import static dev.beacon.jobs.Slots.slot;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The idle registry on its own: the idle line, matching, removal, reservations and drains. Runs on JUnit's thread. */
class IdleRegistryTest {
    private final IdleRegistry registry = new IdleRegistry(500);

    @Test
    void greeted_robots_wait_in_line_longest_idle_first() {
        Slot a = slot("a", List.of("echo"));
        Slot b = slot("b", List.of("echo"));
        registry.greeted(a);
        registry.greeted(b);

        assertThat(registry.idleSlots(ORG)).containsExactly(a, b);
        assertThat(registry.hasIdle(ORG)).isTrue();
        assertThat(registry.hasIdle("other-org")).isFalse();
    }

    @Test
    void a_new_session_of_a_robot_replaces_the_old_one_and_the_old_ones_end_leaves_it_alone() {
        Slot old = slot("a", List.of("echo"));
        registry.greeted(old);
        Slot renewed = new Slot("a", ORG, "session-2", new Slots.RecordingLink());
        renewed.robot = old.robot;
        registry.greeted(renewed);

        registry.gone("a", old.sessionId);

        assertThat(registry.idleSlots(ORG)).containsExactly(renewed);
        assertThat(registry.current("a", "session-2")).isSameAs(renewed);
        assertThat(registry.current("a", old.sessionId)).isNull();

        registry.gone("a", "session-2");
        assertThat(registry.idleSlots(ORG)).isEmpty();
        assertThat(registry.current("a", "session-2")).isNull();
    }

    @Test
    void a_new_job_takes_no_robot_until_a_round_has_read_the_queue() {
        registry.greeted(slot("a", List.of("echo")));

        assertThat(registry.reserveForNew(job("j1", "echo"))).isNull(); // the backlog is not complete yet

        completeBacklog();
        Slot taken = registry.reserveForNew(job("j1", "echo"));
        assertThat(taken).isNotNull();
        assertThat(taken.currentJobId).isEqualTo("j1");
        assertThat(registry.idleSlots(ORG)).isEmpty();
    }

    @Test
    void a_new_job_takes_only_a_robot_that_can_run_it_and_no_waiting_job_wants() {
        Slot echo = slot("echo-bot", List.of("echo"));
        Slot shell = slot("shell-bot", List.of("shell"));
        registry.greeted(echo);
        registry.greeted(shell);
        completeBacklog();

        assertThat(registry.reserveForNew(job("j1", "shell"))).isSameAs(shell);
        registry.queued(job("waiting", "echo")); // an older job waits for the echo robot
        assertThat(registry.reserveForNew(job("j2", "echo"))).isNull();
    }

    @Test
    void a_paused_robot_matches_nothing() {
        Slot slot = slot("a", List.of("echo"));
        slot.robot = Slots.robot("a", List.of("echo"), true);
        registry.greeted(slot);
        completeBacklog();

        assertThat(registry.reserveForNew(job("j1", "echo"))).isNull();
        assertThat(registry.connectedFor(job("j1", "echo"))).containsExactly(0, 0);

        registry.refreshed("a", Slots.robot("a", List.of("echo"), false));
        assertThat(registry.connectedFor(job("j1", "echo"))).containsExactly(1, 0);
    }

    @Test
    void a_released_robot_keeps_its_place_and_a_finished_one_goes_last() {
        Slot a = slot("a", List.of("echo"));
        Slot b = slot("b", List.of("echo"));
        registry.greeted(a);
        registry.greeted(b);
        List<DispatchRound.Plan> plans = registry.planAndReserve(ORG, List.of(job("j1", "echo")));
        assertThat(plans).extracting(DispatchRound.Plan::slot).containsExactly(a);
        assertThat(registry.connectedFor(job("x", "echo"))).containsExactly(1, 1);

        registry.release(a, "j1");
        assertThat(registry.idleSlots(ORG)).containsExactly(a, b);

        registry.planAndReserve(ORG, List.of(job("j2", "echo")));
        registry.finished("a", a.sessionId, "other-job"); // not its job: nothing changes
        assertThat(registry.idleSlots(ORG)).containsExactly(b);
        registry.finished("a", a.sessionId, "j2");
        assertThat(registry.idleSlots(ORG)).containsExactly(b, a);
    }

    @Test
    void an_accept_is_remembered_for_the_current_job_only() {
        Slot a = slot("a", List.of("echo"));
        registry.greeted(a);
        registry.planAndReserve(ORG, List.of(job("j1", "echo")));

        assertThat(registry.accepted("a", a.sessionId, "other", T0)).isFalse();
        assertThat(registry.accepted("a", a.sessionId, "j1", T0)).isTrue();
        assertThat(registry.acceptedAt("a", a.sessionId, "j1")).isEqualTo(T0);
        assertThat(registry.acceptedAt("a", "another-session", "j1")).isNull();
    }

    @Test
    void a_cancel_waits_for_the_assign_it_follows() {
        Slot a = slot("a", List.of("echo"));
        registry.greeted(a);
        Job job = job("j1", "echo");
        registry.planAndReserve(ORG, List.of(job));
        Job held = DispatchRound.assigned(job, a.robotId, a.sessionId, T0);

        assertThat(registry.cancelTarget(held)).isNull(); // not sent yet: remembered
        assertThat(registry.sent(a, "j1")).isTrue(); // the cancel is due right after the assign
        assertThat(registry.cancelTarget(held)).isSameAs(a);
    }

    @Test
    void a_cancel_of_a_job_another_node_gave_waits_for_its_handover_and_follows_its_assign() {
        Slot a = slot("a", List.of("echo"));
        registry.greeted(a);
        Job held = DispatchRound.assigned(job("j1", "echo"), a.robotId, a.sessionId, T0);

        assertThat(registry.cancelTarget(held)).isNull(); // the handover has not arrived: remembered
        assertThat(registry.handOver("a", a.sessionId, "j1", false).outcome()).isEqualTo(IdleRegistry.Outcome.TAKEN);
        assertThat(registry.sent(a, "j1")).isTrue(); // the cancel is due right after the assign
        assertThat(registry.cancelTarget(held)).isSameAs(a);
    }

    @Test
    void a_drained_robot_is_idle_again_once_its_drain_time_passed() {
        Slot a = slot("a", List.of("echo"));
        registry.greeted(a);
        registry.planAndReserve(ORG, List.of(job("j1", "echo")));
        assertThat(registry.draining("a", a.sessionId, 1_000)).isSameAs(a);

        assertThat(registry.endDrains(1_000)).containsExactly(ORG);
        assertThat(registry.idleSlots(ORG)).isEmpty();
        registry.endDrains(1_001);
        assertThat(registry.idleSlots(ORG)).containsExactly(a);
    }

    @Test
    void the_sweep_names_each_organization_with_a_robot_here_while_it_has_one() {
        Slot a = slot("a", List.of("echo"));
        Slot other = new Slot("b", "org-2", "session-b", new Slots.RecordingLink());
        other.robot = a.robot;
        registry.greeted(a);
        registry.greeted(other);
        Slot renewed = new Slot("a", ORG, "session-a2", new Slots.RecordingLink());
        renewed.robot = a.robot;
        registry.greeted(renewed); // the robot's new session replaces the old one: still one robot of ORG

        assertThat(registry.endDrains(0)).containsExactlyInAnyOrder(ORG, "org-2");
        registry.gone("b", "session-b");
        assertThat(registry.endDrains(0)).containsExactly(ORG);
        registry.gone("a", a.sessionId); // the old session's end: the robot is still here
        assertThat(registry.endDrains(0)).containsExactly(ORG);
        registry.gone("a", renewed.sessionId);
        assertThat(registry.endDrains(0)).isEmpty();
    }

    @Test
    void a_drain_that_a_claim_ended_or_whose_robot_left_is_not_ended_again() {
        Slot a = slot("a", List.of("echo"));
        Slot b = slot("b", List.of("echo"));
        registry.greeted(a);
        registry.greeted(b);
        registry.planAndReserve(ORG, List.of(job("j1", "echo"), job("j2", "echo")));
        registry.draining("a", a.sessionId, 1_000);
        registry.draining("b", b.sessionId, 1_000);
        registry.claimed(a); // a new claim ended a's drain: it keeps its job
        registry.gone("b", b.sessionId);

        registry.endDrains(2_000);
        assertThat(a.currentJobId).isEqualTo("j1");
        assertThat(registry.idleSlots(ORG)).isEmpty();
    }

    /** What a round that read an empty queue leaves: a complete backlog. */
    private void completeBacklog() {
        IdleRegistry.RoundStart start = registry.startRound(ORG, false);
        assertThat(start.read()).isTrue();
        start.backlog().endRound(List.of(), true, java.util.Set.of());
    }
}
