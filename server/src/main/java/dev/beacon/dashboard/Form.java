package dev.beacon.dashboard;

import dev.beacon.web.ApiError;
import io.javalin.http.Context;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Reading the dashboard's form fields and query parameters: blank means absent, and a missing or out-of-range value
 * is refused with a message that says what to enter. Stateless; called from Javalin's request threads.
 */
final class Form {
    private Form() {
    }

    static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }

    /** {@code value} when it is one of {@code allowed}, else null (an unknown filter shows everything). */
    static String choice(String value, Set<String> allowed) {
        String v = blankToNull(value);
        return v != null && allowed.contains(v) ? v : null;
    }

    static String required(Context ctx, String field, String hint) {
        String value = blankToNull(ctx.formParam(field));
        if (value == null) {
            throw ApiError.validation(field, hint);
        }
        return value;
    }

    static String limited(String value, String field, int max) {
        if (value.length() > max) {
            throw ApiError.validation(field, Fmt.title(field) + " must be at most " + max + " characters.");
        }
        return value;
    }

    static int number(Context ctx, String field, int min, int max, int fallback) {
        String value = blankToNull(ctx.formParam(field));
        if (value == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(value);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // refused below
        }
        throw ApiError.validation(field, Fmt.title(field.replace('_', ' ')) + " must be a whole number from " + min + " to " + max + ".");
    }

    /** {@code a=1&c=3} from name/value pairs, leaving out the pairs whose value is null. */
    static String queryString(String... namesAndValues) {
        StringBuilder query = new StringBuilder();
        for (int i = 0; i + 1 < namesAndValues.length; i += 2) {
            if (namesAndValues[i + 1] != null) {
                query.append(query.isEmpty() ? "" : "&").append(namesAndValues[i]).append('=')
                        .append(URLEncoder.encode(namesAndValues[i + 1], StandardCharsets.UTF_8));
            }
        }
        return query.toString();
    }
}
