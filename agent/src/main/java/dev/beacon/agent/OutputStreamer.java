package dev.beacon.agent;

import dev.beacon.protocol.Frame;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Streams one job attempt's stdout and stderr to the server as {@code job.output} frames while the handler runs.
 * Bytes are gathered into one chunk and sent every {@link #COALESCE_MILLIS} ms, when the chunk holds
 * {@link Frame.JobOutput#MAX_DATA_BYTES}, or when the other stream starts writing (so the two keep their order as far
 * as the pipes tell it). A chunk never splits a UTF-8 character. Frames are numbered from 1 ({@code seq}).
 *
 * <p>Bounded in rate: at most {@link #BYTES_PER_SECOND} (after a burst of {@link #BURST_BYTES}) and
 * {@link #FRAMES_PER_SECOND} frames a second. Past either bound it sends one last frame with {@code truncated: true} and
 * nothing more for this attempt; the job's result and its capped {@code output} are not affected.
 *
 * <p>Thread-safe: the two pipe readers call {@link #write}, the scheduler sends what waited, and the job thread calls
 * {@link #close} once the pipes are drained.
 */
final class OutputStreamer implements AutoCloseable {
    static final long COALESCE_MILLIS = 100;
    static final long BYTES_PER_SECOND = 64 * 1024;
    static final long BURST_BYTES = 256 * 1024;
    static final int FRAMES_PER_SECOND = 20;
    static final int BURST_FRAMES = 40;
    private static final int CHUNK = Frame.JobOutput.MAX_DATA_BYTES;

    private final String jobId;
    private final int attempt;
    private final Consumer<Frame.JobOutput> send;
    private final LongSupplier ticker;
    private final ScheduledFuture<?> timer;
    /** The chunk being gathered, of {@code current}'s bytes. Guarded by this. */
    private final byte[] chunk = new byte[CHUNK];
    private int size;
    private String current;
    /** Per stream, the first bytes of a character whose rest has not arrived yet. */
    private final Map<String, byte[]> tails = new HashMap<>();
    private int seq;
    private boolean stopped;
    private double byteTokens = BURST_BYTES;
    private double frameTokens = BURST_FRAMES;
    private long refilledAt;

    /**
     * {@code send} gets each frame, in order, on the thread that made it (a pipe reader, the scheduler or the closer);
     * {@code ticker} gives monotonic nanoseconds for the rate bound; {@code scheduler} runs the {@value #COALESCE_MILLIS}
     * ms sends (null: only full chunks and {@link #flush} send, for tests).
     */
    OutputStreamer(String jobId, int attempt, Consumer<Frame.JobOutput> send, ScheduledExecutorService scheduler, LongSupplier ticker) {
        this.jobId = jobId;
        this.attempt = attempt;
        this.send = send;
        this.ticker = ticker;
        this.refilledAt = ticker.getAsLong();
        this.timer = scheduler == null ? null
                : scheduler.scheduleWithFixedDelay(this::flush, COALESCE_MILLIS, COALESCE_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Takes {@code length} bytes the handler wrote to {@code stream} ({@code stdout} or {@code stderr}). */
    synchronized void write(String stream, byte[] bytes, int offset, int length) {
        if (stopped) {
            return;
        }
        if (!stream.equals(current)) {
            sendChunk(false);
            if (size > 0) { // the start of a character: it waits for its rest, which this stream has not written yet
                tails.put(current, java.util.Arrays.copyOf(chunk, size));
                size = 0;
            }
            current = stream;
            byte[] tail = tails.remove(stream);
            if (tail != null) {
                System.arraycopy(tail, 0, chunk, 0, tail.length);
                size = tail.length;
            }
        }
        int at = offset;
        int end = offset + length;
        while (at < end && !stopped) {
            int take = Math.min(end - at, CHUNK - size);
            System.arraycopy(bytes, at, chunk, size, take);
            size += take;
            at += take;
            if (size == CHUNK) {
                sendChunk(false);
            }
        }
    }

    /** Sends what was gathered (its complete characters). The scheduler calls it every {@value #COALESCE_MILLIS} ms. */
    synchronized void flush() {
        sendChunk(false);
    }

    /** Sends everything left, broken characters included, and stops; later writes are dropped. */
    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.cancel(false);
        }
        sendChunk(true);
        for (Map.Entry<String, byte[]> tail : tails.entrySet()) {
            emit(tail.getKey(), new String(tail.getValue(), StandardCharsets.UTF_8));
        }
        tails.clear();
        stopped = true;
    }

    /** Sends the chunk's complete characters; an incomplete last one stays in the chunk for its rest (unless {@code all}). */
    private void sendChunk(boolean all) {
        if (size == 0 || current == null) {
            return;
        }
        int complete = all ? size : completePrefix(chunk, size);
        String text = new String(chunk, 0, complete, StandardCharsets.UTF_8);
        // An incomplete last character stays at the start of the chunk, for the bytes that complete it.
        System.arraycopy(chunk, complete, chunk, 0, size - complete);
        size -= complete;
        emit(current, text);
    }

    /** Sends {@code text} as frames of at most 16 KiB (a malformed byte decodes to 3), within the rate bound. */
    private void emit(String stream, String text) {
        int start = 0;
        while (start < text.length() && !stopped) {
            int end = start;
            int bytes = 0;
            while (end < text.length()) {
                char c = text.charAt(end);
                boolean pair = Character.isHighSurrogate(c) && end + 1 < text.length() && Character.isLowSurrogate(text.charAt(end + 1));
                int width = pair ? 4 : c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
                if (bytes + width > CHUNK) {
                    break;
                }
                bytes += width;
                end += pair ? 2 : 1;
            }
            if (!takeTokens(bytes)) {
                stopped = true;
                send.accept(new Frame.JobOutput(jobId, attempt, ++seq, stream, "", true));
                return;
            }
            send.accept(new Frame.JobOutput(jobId, attempt, ++seq, stream, text.substring(start, end), false));
            start = end;
        }
    }

    /** Takes one frame and {@code bytes} from the buckets, refilled for the time passed; false when either is short. */
    private boolean takeTokens(int bytes) {
        long now = ticker.getAsLong();
        double seconds = (now - refilledAt) / 1e9;
        refilledAt = now;
        byteTokens = Math.min(BURST_BYTES, byteTokens + seconds * BYTES_PER_SECOND);
        frameTokens = Math.min(BURST_FRAMES, frameTokens + seconds * FRAMES_PER_SECOND);
        if (byteTokens < bytes || frameTokens < 1) {
            return false;
        }
        byteTokens -= bytes;
        frameTokens -= 1;
        return true;
    }

    /** How many of the first {@code size} bytes end on a character boundary (an incomplete last character is left out). */
    static int completePrefix(byte[] bytes, int size) {
        int lead = size - 1;
        int back = 0;
        while (lead >= 0 && back < 3 && (bytes[lead] & 0xC0) == 0x80) {
            lead--;
            back++;
        }
        if (lead < 0) {
            return size; // only continuation bytes: malformed, sent as it is
        }
        int b = bytes[lead] & 0xFF;
        int width = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
        return size - lead < width ? lead : size;
    }
}
