package dev.beacon.dashboard;

import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A dashboard form as it was sent, with what is wrong with it, so the page can show the form again in place: every
 * typed value kept, each message beside its field ({@code aria-invalid}, {@code aria-describedby}) and the first
 * faulty field focused. {@link #EMPTY} is a form not sent yet: each field shows its default. The CSRF token is never
 * kept. Immutable; built and read on a request thread.
 */
public record FormState(Map<String, List<String>> values, Map<String, String> errors, String summary) {
    /** A form that was not sent: every field shows its default and no message. */
    public static final FormState EMPTY = new FormState(Map.of(), Map.of(), null);

    public FormState {
        values = Map.copyOf(values);
        errors = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(errors)); // keeps the form's order
    }

    /**
     * The form {@code ctx} carries with {@code errors} (field → message, in the form's order) and {@code summary}, a
     * message for the form as a whole (else null).
     */
    static FormState of(Context ctx, Map<String, String> errors, String summary) {
        Map<String, List<String>> values = new LinkedHashMap<>(ctx.formParamMap());
        values.remove("_csrf");
        return new FormState(values, errors, summary);
    }

    /** Whether this is a form that was sent back with errors (rather than a fresh one). */
    public boolean sent() {
        return !values.isEmpty() || !errors.isEmpty() || summary != null;
    }

    /** What was typed in {@code field}; {@code fallback} for a fresh form; empty when the sent form left it out. */
    public String value(String field, String fallback) {
        if (!sent()) {
            return fallback;
        }
        List<String> sent = values.get(field);
        return sent == null || sent.isEmpty() ? "" : sent.get(0);
    }

    /** Whether the checkbox {@code field}={@code option} is ticked: as sent, else {@code fallback}. */
    public boolean checked(String field, String option, boolean fallback) {
        return sent() ? values.getOrDefault(field, List.of()).contains(option) : fallback;
    }

    /** Whether {@code option} of the select {@code field} was chosen; {@code fallback} for a fresh form. */
    public boolean selected(String field, String option, boolean fallback) {
        return sent() ? option.equals(value(field, null)) : fallback;
    }

    /** The message for {@code field}, or null when it is fine. */
    public String error(String field) {
        return errors.get(field);
    }

    /** {@code "true"} for a faulty field, null (no attribute) otherwise: the value of {@code aria-invalid}. */
    public String invalid(String field) {
        return errors.containsKey(field) ? "true" : null;
    }

    /**
     * The value of {@code aria-describedby} for {@code field}: {@code messageId} when it has a message, followed by
     * {@code hintId} (else null) — or null (no attribute) when there is neither.
     */
    public String describedBy(String field, String messageId, String hintId) {
        String message = errors.containsKey(field) ? messageId : null;
        if (message == null) {
            return hintId;
        }
        return hintId == null ? message : message + " " + hintId;
    }

    /** Whether {@code field} is the first faulty one, which gets the focus when the page loads. */
    public boolean first(String field) {
        return !errors.isEmpty() && errors.keySet().iterator().next().equals(field);
    }

    @Override
    public String toString() {
        return "FormState[fields=" + values.keySet() + ", errors=" + errors.keySet() + "]"; // never what was typed
    }
}
