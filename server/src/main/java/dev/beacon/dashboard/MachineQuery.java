package dev.beacon.dashboard;

import io.javalin.http.Context;
import java.util.Set;

/**
 * What the Machines page was asked to show: a search ({@code q}: part of a name, hostname, IP address or label, or
 * {@code key=value} for one label, or of a site or fleet name), a status tab ({@code status}: a {@link MachineState}
 * tag, null for all), a sort column and direction, a page number (from 1), and optionally one site or fleet
 * ({@code site_id}, {@code fleet_id}: the Sites page links to a fleet's machines). Read from the query string, where anything unknown falls back to
 * the default, so a hand-edited link never fails. Every link of the page is built from it, so search, tab, sort and
 * page survive each other and the live refreshes. Public for the templates. Immutable.
 */
public record MachineQuery(String q, String status, String sort, boolean descending, int page, String siteId, String fleetId) {
    /** Every machine, by name: what the API Management summary counts. */
    static final MachineQuery ALL = new MachineQuery(null, null, "name", false, 1, null, null);

    /** Machines per page. */
    static final int PAGE_SIZE = 50;
    /** The longest search kept; anything longer is cut, not refused. */
    static final int MAX_SEARCH = 100;
    static final Set<String> SORTS = Set.of("name", "status", "last_seen", "place");

    public MachineQuery {
        page = Math.max(1, page);
    }

    static MachineQuery of(Context ctx) {
        String q = Form.blankToNull(ctx.queryParam("q"));
        if (q != null && q.length() > MAX_SEARCH) {
            q = q.substring(0, MAX_SEARCH);
        }
        String status = MachineState.fromTag(Form.blankToNull(ctx.queryParam("status"))).map(MachineState::tag).orElse(null);
        String sort = Form.choice(ctx.queryParam("sort"), SORTS);
        int page = 1;
        String pageParam = Form.blankToNull(ctx.queryParam("page"));
        if (pageParam != null && pageParam.matches("\\d{1,6}")) {
            page = Integer.parseInt(pageParam);
        }
        return new MachineQuery(q, status, sort == null ? "name" : sort, "desc".equals(ctx.queryParam("dir")), page,
                id(ctx.queryParam("site_id")), id(ctx.queryParam("fleet_id")));
    }

    private static String id(String value) {
        String id = Form.blankToNull(value);
        return id != null && id.length() <= 100 ? id : null;
    }

    int offset() {
        return (page - 1) * PAGE_SIZE;
    }

    /** This query as a query string (no leading {@code ?}); defaults are left out. */
    public String query() {
        return Form.queryString("q", q, "site_id", siteId, "fleet_id", fleetId, "status", status, "sort", "name".equals(sort) ? null : sort, "dir", descending ? "desc" : null,
                "page", page == 1 ? null : Integer.toString(page));
    }

    /** The Machines page with this query. */
    public String href() {
        String query = query();
        return query.isEmpty() ? "/machines" : "/machines?" + query;
    }

    /** A status tab: the same search and sort, first page. */
    public MachineQuery withStatus(String tag) {
        return new MachineQuery(q, tag, sort, descending, 1, siteId, fleetId);
    }

    /** A column heading's link: sorted by {@code column}, ascending first, flipping when it is already the sort. */
    public MachineQuery sortedBy(String column) {
        return new MachineQuery(q, status, column, column.equals(sort) && !descending, 1, siteId, fleetId);
    }

    public MachineQuery atPage(int number) {
        return new MachineQuery(q, status, sort, descending, number, siteId, fleetId);
    }

    /** The same list without the search text. */
    public MachineQuery withoutSearch() {
        return new MachineQuery(null, status, sort, descending, 1, siteId, fleetId);
    }

    /** The same list for every site and fleet. */
    public MachineQuery withoutPlace() {
        return new MachineQuery(q, status, sort, descending, 1, null, null);
    }

    /** The {@code aria-sort} of a column heading: only the sorted column has one. */
    public String ariaSort(String column) {
        return column.equals(sort) ? (descending ? "descending" : "ascending") : null;
    }
}
