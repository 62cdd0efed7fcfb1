package dev.beacon.dashboard;

import dev.beacon.audit.Actor;
import dev.beacon.audit.AuditLog;
import dev.beacon.users.PasswordHasher;
import dev.beacon.users.UserStore;
import dev.beacon.web.ApiError;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Checks a username and password and opens a session. Failed attempts are limited per source address
 * ({@link #FAILURES_ALLOWED} per {@link #FAILURE_WINDOW}, counted in this node's memory: per node, and reset by a
 * restart); the answer never says whether the user exists, and
 * an unknown user costs the same hashing work as a wrong password. Thread-safe.
 */
public final class SignIn {
    static final int FAILURES_ALLOWED = 10;
    static final Duration FAILURE_WINDOW = Duration.ofMinutes(5);
    private static final int MAX_TRACKED = 100_000;

    private final UserStore users;
    private final SessionStore sessions;
    private final AuditLog audit;
    /** Told the username of each successful sign-in (the first admin sign-in deletes the initial password file). */
    private final Consumer<String> signedIn;
    private final PasswordHasher hasher = new PasswordHasher();
    /** Verified against when the user does not exist, so both refusals take as long; made at first need, not at start. */
    private volatile String decoyHash;
    private final ConcurrentHashMap<String, Bucket> failures = new ConcurrentHashMap<>();

    public SignIn(UserStore users, SessionStore sessions, AuditLog audit, Consumer<String> signedIn) {
        this.signedIn = signedIn;
        this.users = users;
        this.sessions = sessions;
        this.audit = audit;
    }

    /**
     * Signs in, or refuses with 401 {@code invalid_credentials} / 429 {@code rate_limited}. The session starts in the
     * user's first organization by name; the dashboard's switcher moves it.
     */
    public SessionStore.Opened signIn(String username, String password, String ip, String userAgent) {
        // Check and count in one step: each attempt takes a token before its password is checked and gets it back
        // only when it succeeds. Checking first and counting the failure afterwards let 60 parallel guesses through.
        Bucket bucket = bucket(ip);
        ConsumptionProbe attempt = bucket.tryConsumeAndReturnRemaining(1);
        if (!attempt.isConsumed()) {
            long wait = Math.max(1, Duration.ofNanos(attempt.getNanosToWaitForRefill()).toSeconds() + 1);
            throw ApiError.rateLimited(wait, "Too many failed sign-ins from your address. Try again in " + wait + " seconds.");
        }
        String name = username == null ? "" : username.strip();
        Optional<UserStore.Credentials> credentials = name.isEmpty() ? Optional.empty() : users.credentials(name);
        boolean valid = hasher.verify(password == null ? "" : password, credentials.map(UserStore.Credentials::passwordHash).orElseGet(this::decoyHash))
                && credentials.isPresent();
        List<UserStore.Membership> memberships = credentials.map(known -> users.memberships(known.userId())).orElse(List.of());
        if (!valid || memberships.isEmpty()) {
            auditRefusal(name, credentials, memberships, ip);
            throw new ApiError(401, "invalid_credentials", valid
                    ? "This user belongs to no organization yet; ask an admin to add you (beacon admin user create --org …)."
                    : "Wrong username or password.");
        }
        bucket.addTokens(1); // a success does not count against the address
        UserStore.Membership first = memberships.get(0);
        SessionStore.Opened opened = sessions.open(credentials.get().userId(), first.orgId(), ip, userAgent);
        audit.append(new AuditLog.Entry(first.orgId(), new Actor("user", credentials.get().userId(), ip), "user.signed_in", "user",
                credentials.get().userId(), null));
        signedIn.accept(name);
        return opened;
    }

    private String decoyHash() {
        String decoy = decoyHash;
        if (decoy == null) {
            decoy = hasher.hash("decoy-" + System.nanoTime());
            decoyHash = decoy;
        }
        return decoy;
    }

    private Bucket bucket(String ip) {
        if (failures.size() > MAX_TRACKED) {
            failures.values().removeIf(bucket -> bucket.getAvailableTokens() >= FAILURES_ALLOWED);
        }
        return failures.computeIfAbsent(ip, key -> Bucket.builder()
                .addLimit(Bandwidth.builder().capacity(FAILURES_ALLOWED).refillGreedy(FAILURES_ALLOWED, FAILURE_WINDOW).build())
                .build());
    }

    /**
     * A known user's refused sign-in goes to the audit log of each of the user's organizations, where their admins see
     * it; one that belongs to no organization (an unknown username, a user with no membership) goes to the instance
     * log, which only instance admins see.
     */
    private void auditRefusal(String name, Optional<UserStore.Credentials> credentials, List<UserStore.Membership> memberships, String ip) {
        String userId = credentials.map(UserStore.Credentials::userId).orElse(null);
        List<String> orgIds = memberships.isEmpty() ? java.util.Collections.singletonList(null)
                : memberships.stream().map(UserStore.Membership::orgId).toList();
        audit.appendAll(orgIds.stream().map(orgId -> new AuditLog.Entry(orgId, new Actor("anonymous", null, ip), "user.sign_in_refused",
                "user", userId, "username=" + abbreviate(name))).toList());
    }

    private static String abbreviate(String value) {
        return value.length() <= 64 ? value : value.substring(0, 64) + "…";
    }
}
