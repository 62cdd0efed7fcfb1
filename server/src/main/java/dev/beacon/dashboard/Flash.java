package dev.beacon.dashboard;

import java.util.concurrent.ConcurrentHashMap;

/**
 * What the page after a form post should say once: a notice or an error, and possibly a secret shown exactly once
 * (a new API key or enrollment token). Held in memory only, per session, and consumed by the next page that shows
 * it; a secret therefore never lands in a URL, a log or the database. Thread-safe.
 */
public final class Flash {
    /**
     * A message for the next page; {@code secret} and {@code secretLabel} are set when a secret is to be revealed once,
     * and {@code install} (else null) when the secret is an enrollment token, to show how robots use it.
     */
    public record Message(String kind, String text, String secretLabel, String secret, String hint, InstallCommands install) {
        public static Message notice(String text) {
            return new Message("notice", text, null, null, null, null);
        }

        public static Message error(String text) {
            return new Message("error", text, null, null, null, null);
        }

        public boolean isError() {
            return "error".equals(kind);
        }

        @Override
        public String toString() {
            return "Message[" + kind + ", " + text + "]"; // never the secret
        }
    }

    private static final int MAX_HELD = 10_000;
    private final ConcurrentHashMap<String, Message> pending = new ConcurrentHashMap<>();

    public void put(String sessionId, Message message) {
        if (pending.size() > MAX_HELD) {
            pending.clear(); // only ever abandoned messages pile up this far
        }
        pending.put(sessionId, message);
    }

    /** The session's pending message, removed; null when there is none. */
    public Message take(String sessionId) {
        return pending.remove(sessionId);
    }
}
