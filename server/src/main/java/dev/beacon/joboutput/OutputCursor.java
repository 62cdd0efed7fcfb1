package dev.beacon.joboutput;

import dev.beacon.web.ApiError;

/**
 * Where a reader of a job's output left off: after chunk {@code seq} of {@code attempt} ({@code 0:0}: from the
 * start). Parsed from {@code ?after_seq=} or {@code Last-Event-ID}, which take a chunk's id ({@code 2:17}) or a bare
 * seq ({@code 17}, meaning attempt 1). Immutable.
 */
record OutputCursor(int attempt, int seq) {
    static final OutputCursor START = new OutputCursor(0, 0);

    /** The cursor {@code text} names, START when it is blank; a 400 {@code validation_failed} naming {@code field} otherwise. */
    static OutputCursor parse(String text, String field) {
        if (text == null || text.isBlank()) {
            return START;
        }
        String value = text.strip();
        int colon = value.indexOf(':');
        try {
            int attempt = colon < 0 ? 1 : Integer.parseInt(value.substring(0, colon));
            int seq = Integer.parseInt(colon < 0 ? value : value.substring(colon + 1));
            if (attempt >= 0 && seq >= 0) {
                return new OutputCursor(attempt, seq);
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw ApiError.validation(field, "'" + field + "' takes a chunk id such as 2:17 (attempt 2, seq 17) or a seq such as 17.");
    }

    /** The cursor just after {@code chunk}. */
    static OutputCursor after(OutputChunk chunk) {
        return new OutputCursor(chunk.attempt(), chunk.seq());
    }
}
