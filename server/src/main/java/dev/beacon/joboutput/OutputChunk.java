package dev.beacon.joboutput;

/**
 * One stored piece of a job's live output: {@code stream} is {@code stdout}, {@code stderr}, or {@value #TRUNCATED} for
 * the mark that says output was dropped from here on (its data is empty). {@code at} is when the server got it, in
 * epoch milliseconds. Its {@link #id} ({@code attempt:seq}) orders chunks and is the cursor clients resume from.
 * Immutable.
 */
public record OutputChunk(String jobId, int attempt, int seq, String stream, String data, long at) {
    public static final String TRUNCATED = "truncated";

    /** {@code attempt:seq}, e.g. {@code 1:42}: the chunk's place in the job's output. */
    public String id() {
        return attempt + ":" + seq;
    }

    public boolean isTruncationMark() {
        return TRUNCATED.equals(stream);
    }
}
