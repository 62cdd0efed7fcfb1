package dev.beacon.dashboard;

import dev.beacon.audit.AuditEvent;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The audit log in words: who acted and on what, by name ("machine dock-robot-7", "API key ci-prod") where the name
 * is known, else by id. An enrollment is credited to the enrollment token that allowed it. Stateless; thread-safe.
 */
public final class AuditWords {
    /** The enrollment key an enrollment event's detail names ({@code … key=enr_… prefix=…}). */
    private static final Pattern ENROLLMENT_KEY = Pattern.compile("(?:^|\\s)key=(\\S+)");
    private static final Map<String, String> TYPES = Map.of("robot", "machine", "api_key", "API key", "enrollment_key", "enrollment token",
            "user", "user", "site", "site", "fleet", "fleet", "organization", "organization", "job", "job");

    private AuditWords() {
    }

    /** What people call an object or actor type: {@code robot} → "machine", {@code api_key} → "API key". */
    public static String type(String type) {
        return type == null ? "" : TYPES.getOrDefault(type, type.replace('_', ' '));
    }

    /**
     * Who did it: "user admin", "API key ci-prod", "machine dock-robot-7"; an enrollment by an anonymous caller is
     * credited to its token ("enrollment token dock-2 batch") when the token's name is in {@code names}.
     */
    public static String actor(AuditEvent event, Map<String, String> names) {
        if ("anonymous".equals(event.actorType())) {
            String keyId = enrollmentKey(event);
            if (keyId != null && names.containsKey(keyId)) {
                return "enrollment token " + names.get(keyId);
            }
        }
        String name = event.actorId() == null ? null : names.get(event.actorId());
        if (name != null) {
            return type(event.actorType()) + " " + name;
        }
        return event.actorId() == null ? type(event.actorType()) : type(event.actorType()) + " " + event.actorId();
    }

    /** The object acted on: "machine dock-robot-7", or its type and id when its name is not known; empty when none. */
    public static String object(AuditEvent event, Map<String, String> names) {
        if (event.targetType() == null) {
            return "";
        }
        String name = event.targetId() == null ? null : names.get(event.targetId());
        return type(event.targetType()) + " " + (name != null ? name : Fmt.orDash(event.targetId()));
    }

    /** The id of the enrollment token behind an enrollment event ({@code robot.enrolled}, {@code robot.reenrolled}), or null. */
    public static String enrollmentKey(AuditEvent event) {
        if (event.detail() == null || !event.action().startsWith("robot.") || !event.action().endsWith("enrolled")) {
            return null;
        }
        Matcher matcher = ENROLLMENT_KEY.matcher(event.detail());
        return matcher.find() ? matcher.group(1) : null;
    }

    /** The ids of {@code events}' objects of {@code type}, and of their actors of that type, for a name lookup. */
    static List<String> ids(List<AuditEvent> events, String type) {
        return events.stream().<String>mapMulti((event, ids) -> {
            if (type.equals(event.actorType()) && event.actorId() != null) {
                ids.accept(event.actorId());
            }
            if (type.equals(event.targetType()) && event.targetId() != null) {
                ids.accept(event.targetId());
            }
            if ("enrollment_key".equals(type) && enrollmentKey(event) != null) {
                ids.accept(enrollmentKey(event));
            }
        }).distinct().toList();
    }
}
