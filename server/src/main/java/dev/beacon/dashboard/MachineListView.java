package dev.beacon.dashboard;

import dev.beacon.robots.Robot;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One page of the Machines page: the {@link MachineQuery} it answers, how many machines match the search in each
 * state (the tabs), the rows, and what the signed-in user may do with them ({@code selectable}: operators and admins
 * get checkboxes for bulk pause and resume; {@code canRemove}: admins may also remove). {@code showNodes} when more
 * than one server node is alive: each row then names the node holding the machine's connection. Immutable.
 */
public record MachineListView(MachineQuery query, Map<MachineState, Long> counts, List<Row> rows, Views.Places places, Instant now,
                              boolean showNodes, boolean selectable, boolean canRemove) {
    /** The tabs, in the order the page shows them after "All". */
    public static final List<MachineState> TABS = List.of(MachineState.ONLINE, MachineState.BUSY, MachineState.UNRESPONSIVE,
            MachineState.OFFLINE, MachineState.NEVER, MachineState.PAUSED);

    public MachineListView {
        counts = Map.copyOf(counts);
        rows = List.copyOf(rows);
    }

    /** A machine in the list: its dashboard state and the kind of the job it holds (null when none). */
    public record Row(Robot robot, MachineState state, String jobKind) {
    }

    /** Machines matching the search, in any state. */
    public long total() {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }

    public long count(MachineState state) {
        return counts.getOrDefault(state, 0L);
    }

    /** Machines matching the search and the tab: what the pager counts. */
    public long matching() {
        return query.status() == null ? total() : MachineState.fromTag(query.status()).map(this::count).orElse(0L);
    }

    public long first() {
        return rows.isEmpty() ? 0 : query.offset() + 1;
    }

    public long last() {
        return query.offset() + rows.size();
    }

    public boolean hasPrevious() {
        return query.page() > 1;
    }

    public boolean hasNext() {
        return last() < matching();
    }
}
