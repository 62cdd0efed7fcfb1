package dev.beacon.dashboard;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The machines on the API Management page: how many are in each state, with a link to the Machines page, and the
 * first few that need a look (unresponsive, then offline). Immutable.
 */
public record MachineSummaryView(Map<MachineState, Long> counts, List<MachineListView.Row> attention, Views.Places places, Instant now) {
    public MachineSummaryView {
        counts = Map.copyOf(counts);
        attention = List.copyOf(attention);
    }

    public long total() {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }

    public long count(MachineState state) {
        return counts.getOrDefault(state, 0L);
    }
}
