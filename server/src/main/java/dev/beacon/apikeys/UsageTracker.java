package dev.beacon.apikeys;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts API-key use in memory and writes it in batches, so an authenticated request costs no database
 * write. {@link #record} is called on request threads; {@link #flush} by one scheduler thread and at
 * shutdown. Thread-safe.
 */
public final class UsageTracker {
    private static final Logger log = LoggerFactory.getLogger(UsageTracker.class);

    /** One key's counter for one UTC day. */
    record KeyDay(String apiKeyId, String day) {
    }

    private final ApiKeyStore store;
    private final Clock clock;
    private final ConcurrentHashMap<String, Long> lastUsed = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<KeyDay, Long> counts = new ConcurrentHashMap<>();

    public UsageTracker(ApiKeyStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Notes one authenticated request by {@code apiKeyId}, now. */
    public void record(String apiKeyId) {
        long now = clock.millis();
        lastUsed.merge(apiKeyId, now, Math::max);
        String day = Instant.ofEpochMilli(now).atZone(ZoneOffset.UTC).toLocalDate().toString();
        // merge and remove are atomic per key, so a flush racing a request never loses a count.
        counts.merge(new KeyDay(apiKeyId, day), 1L, Long::sum);
    }

    /** The newest use not yet written, so reads can show a fresh {@code last_used_at}; null if none pending. */
    public Instant pendingLastUse(String apiKeyId) {
        Long millis = lastUsed.get(apiKeyId);
        return millis == null ? null : Instant.ofEpochMilli(millis);
    }

    /** Pending requests for one key per day, to add to what is stored. */
    public Map<String, Long> pendingCounts(String apiKeyId) {
        Map<String, Long> pending = new HashMap<>();
        counts.forEach((keyDay, adder) -> {
            if (keyDay.apiKeyId().equals(apiKeyId)) {
                pending.merge(keyDay.day(), adder, Long::sum);
            }
        });
        return pending;
    }

    /** Writes everything counted so far; on failure the counts are put back for the next flush. */
    public synchronized void flush() {
        Map<String, Long> lastUsedBatch = new HashMap<>();
        for (String id : lastUsed.keySet()) {
            Long value = lastUsed.remove(id);
            if (value != null) {
                lastUsedBatch.put(id, value);
            }
        }
        Map<KeyDay, Long> countBatch = new HashMap<>();
        for (KeyDay keyDay : counts.keySet()) {
            Long count = counts.remove(keyDay);
            if (count != null) {
                countBatch.put(keyDay, count);
            }
        }
        try {
            store.recordUsage(lastUsedBatch, countBatch);
        } catch (RuntimeException e) {
            log.warn("could not write API key usage ({} keys); will retry", lastUsedBatch.size(), e);
            lastUsedBatch.forEach((id, at) -> lastUsed.merge(id, at, Math::max));
            countBatch.forEach((keyDay, n) -> counts.merge(keyDay, n, Long::sum));
        }
    }
}
