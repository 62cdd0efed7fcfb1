package dev.beacon.web;

import io.javalin.http.Context;
import java.util.List;
import java.util.function.Function;

/**
 * One page of a list endpoint: {@code {"items": [...], "next_cursor": ...}}. Lists are ordered by id,
 * and ids sort by creation time, so the cursor is simply the last id on the page.
 */
public record Page<T>(List<T> items, String nextCursor) {
    public static final int DEFAULT_LIMIT = 100;
    public static final int MAX_LIMIT = 500;

    /** The request's {@code ?limit=} (validated; default 100, at most 500). */
    public static int limit(Context ctx) {
        String raw = ctx.queryParam("limit");
        if (raw == null || raw.isBlank()) {
            return DEFAULT_LIMIT;
        }
        try {
            int limit = Integer.parseInt(raw.strip());
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException ignored) {
            // falls through to the refusal below
        }
        throw ApiError.validation("limit", "Query parameter 'limit' must be a whole number from 1 to " + MAX_LIMIT + ".");
    }

    /** The request's {@code ?cursor=}, or null. */
    public static String cursor(Context ctx) {
        String cursor = ctx.queryParam("cursor");
        return cursor == null || cursor.isBlank() ? null : cursor.strip();
    }

    /** Builds a page from {@code fetched}, which a store read with {@code limit + 1} rows to learn whether more follow. */
    public static <T> Page<T> of(List<T> fetched, int limit, Function<T, String> id) {
        if (fetched.size() <= limit) {
            return new Page<>(fetched, null);
        }
        List<T> items = fetched.subList(0, limit);
        return new Page<>(List.copyOf(items), id.apply(items.get(limit - 1)));
    }

    /** Maps the items, keeping the cursor. */
    public <R> Page<R> map(Function<T, R> mapper) {
        return new Page<>(items.stream().map(mapper).toList(), nextCursor);
    }
}
