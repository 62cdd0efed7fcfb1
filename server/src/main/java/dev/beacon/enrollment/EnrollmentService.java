package dev.beacon.enrollment;

import dev.beacon.audit.Actor;
import dev.beacon.audit.AuditLog;
import dev.beacon.errors.Invalid;
import dev.beacon.errors.NotFound;
import dev.beacon.errors.RateLimited;
import dev.beacon.orgs.Fleet;
import dev.beacon.orgs.OrgStore;
import dev.beacon.orgs.Site;
import dev.beacon.robots.Registration;
import dev.beacon.robots.FleetEvents;
import dev.beacon.robots.RobotStore;
import dev.beacon.store.Database;
import dev.beacon.store.Ids;
import dev.beacon.tokens.Secret;
import dev.beacon.tokens.SecretBox;
import dev.beacon.tokens.TokenFormat;
import dev.beacon.tokens.TokenKind;
import dev.beacon.web.Cidr;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The rules of enrollment: minting and revoking keys, and trading a key for a robot token. Thread-safe. */
public final class EnrollmentService {
    private static final Logger log = LoggerFactory.getLogger(EnrollmentService.class);

    private final Database db;
    private final EnrollmentStore keys;
    private final RobotStore robots;
    private final OrgStore orgs;
    private final AuditLog audit;
    private final SecretBox secretBox;
    private final FailureLimiter failures;
    private final Ids ids;
    private final Clock clock;
    private final FleetEvents events;
    private final ClaimTransaction claims;

    /**
     * @param events told the ids of robots whose tokens a cascade revoke just revoked, after commit, so live
     *               connections can be closed
     */
    public EnrollmentService(Database db, RobotStore robots, OrgStore orgs, AuditLog audit, SecretBox secretBox,
                             long refusalsPerMinute, Ids ids, Clock clock, FleetEvents events) {
        this.db = db;
        this.keys = new EnrollmentStore(db);
        this.robots = robots;
        this.orgs = orgs;
        this.audit = audit;
        this.secretBox = secretBox;
        this.failures = new FailureLimiter(refusalsPerMinute);
        this.ids = ids;
        this.clock = clock;
        this.events = events;
        this.claims = new ClaimTransaction(db, keys, robots, ids, clock);
    }

    /** What an admin asks for when creating a key. */
    public record KeyRequest(String siteId, String fleetId, String name, int maxUses, int expiresInHours,
                             List<String> allowedCidrs) {
    }

    /** Mints a key scoped to the organization, site and fleet; the fleet must belong to the site. */
    public EnrollmentKey create(String orgId, KeyRequest request, Actor actor) {
        Site site = orgs.site(orgId, request.siteId())
                .orElseThrow(() -> Invalid.reference("site_id", "No site " + request.siteId() + " in this organization."));
        Fleet fleet = orgs.fleet(orgId, request.fleetId())
                .orElseThrow(() -> Invalid.reference("fleet_id", "No fleet " + request.fleetId() + " in this organization."));
        if (!fleet.siteId().equals(site.id())) {
            throw Invalid.reference("fleet_id", "Fleet " + fleet.name() + " belongs to another site, not " + site.name() + ".");
        }
        List<String> cidrs = new ArrayList<>();
        for (String text : request.allowedCidrs()) {
            Cidr cidr = Cidr.parse(text);
            if (cidr == null) {
                throw Invalid.field("allowed_cidrs", "'" + text + "' is not a network such as 10.0.0.0/8 or fd00::/8.");
            }
            cidrs.add(cidr.text());
        }
        Secret secret = TokenFormat.generate(TokenKind.ENROLLMENT);
        Instant now = Instant.ofEpochMilli(clock.millis()); // what the database keeps
        String id = ids.next("ek");
        EnrollmentKey key = new EnrollmentKey(id, orgId, site.id(), fleet.id(), request.name(), secret.masked(),
                secretBox.seal(secret.value(), id), request.maxUses(), 0, cidrs,
                now.plus(Duration.ofHours(request.expiresInHours())), now, null);
        db.write(tx -> {
            keys.insert(tx, key, secret.hash());
            audit.append(tx, new AuditLog.Entry(orgId, actor, "enrollment_key.created", "enrollment_key", id,
                    "name=" + request.name() + " max_uses=" + request.maxUses() + " prefix=" + secret.masked()));
            return null;
        });
        return key;
    }

    public EnrollmentKey get(String orgId, String id) {
        return keys.byId(orgId, id).orElseThrow(() -> new NotFound("enrollment key"));
    }

    public List<EnrollmentKey> list(String orgId, String afterId, int limit) {
        return keys.list(orgId, afterId, limit);
    }

    /** The raw {@code rf_enroll_…} value, decrypted for an admin. */
    public String rawValue(EnrollmentKey key) {
        return secretBox.open(key.keyCiphertext(), key.id());
    }

    /**
     * Revokes the key so it grants no more claims. With {@code cascade}, also revokes the tokens of every
     * robot enrolled with it, in the same transaction.
     */
    public EnrollmentKey revoke(String orgId, String id, boolean cascade, Actor actor) {
        Instant now = clock.instant();
        List<String> cascaded = db.write(tx -> {
            keys.byId(tx, orgId, id).orElseThrow(() -> new NotFound("enrollment key"));
            boolean revokedNow = keys.revoke(tx, id, now);
            List<String> robotIds = cascade ? robots.idsEnrolledWith(tx, id) : List.of();
            for (String robotId : robotIds) {
                robots.revokeTokens(tx.connection(), robotId, now);
            }
            if (revokedNow || !robotIds.isEmpty()) {
                audit.append(tx, new AuditLog.Entry(orgId, actor, "enrollment_key.revoked", "enrollment_key", id,
                        cascade ? "cascade: revoked " + robotIds.size() + (robotIds.size() == 1 ? " robot" : " robots") : null));
            }
            return robotIds;
        });
        if (!cascaded.isEmpty()) {
            events.robotsRevoked(cascaded);
        }
        return get(orgId, id);
    }

    /** A claim on {@code POST /api/enroll}. */
    public record ClaimRequest(String enrollmentKey, Registration registration, boolean replace) {
        @Override
        public String toString() {
            return "ClaimRequest[key=" + TokenFormat.mask(enrollmentKey) + ", name=" + registration.name() + ", replace=" + replace + "]";
        }
    }

    /**
     * Trades an enrollment key for a robot token. Every refusal is audited with the source address and the
     * key's masked prefix, and counts against the address's refusal budget; once that is spent this
     * throws {@link RateLimited} instead.
     */
    public Claim claim(ClaimRequest request) {
        String ip = request.registration().ip();
        long wait = failures.secondsUntilAllowed(ip);
        if (wait > 0) {
            throw new RateLimited(wait, "Too many refused enrollment attempts from " + ip + "; try again in " + wait + " s.");
        }
        Claim claim = attempt(request);
        if (claim instanceof Claim.Refused refused) {
            // A taken name comes with a valid key: it is a mistake to report, not a guess to slow down.
            if (refused.reason() != Refusal.NAME_TAKEN) {
                failures.recordRefusal(ip);
            }
            auditRefusal(request, refused);
        }
        return claim;
    }

    private Claim attempt(ClaimRequest request) {
        if (TokenFormat.parse(TokenKind.ENROLLMENT, request.enrollmentKey()) instanceof TokenFormat.Parsed.Malformed malformed) {
            return new Claim.Refused(Refusal.MALFORMED, "This enrollment key looks truncated or mistyped: " + malformed.reason()
                    + " — copy the full key from API Management.");
        }
        Secret secret = new Secret(TokenKind.ENROLLMENT, request.enrollmentKey().strip());
        EnrollmentStore.ClaimTarget target = keys.claimTarget(secret.hash()).orElse(null);
        if (target == null) {
            return new Claim.Refused(Refusal.UNKNOWN, "This enrollment key is not known to this server. Check the server URL, or create a key in API Management.");
        }
        EnrollmentKey key = target.key();
        Instant now = clock.instant();
        Claim.Refused spent = refusalFor(key, now);
        if (spent != null) {
            return spent;
        }
        String ip = request.registration().ip();
        if (!key.allowedCidrs().isEmpty() && key.allowedCidrs().stream().map(Cidr::parse).noneMatch(cidr -> cidr.contains(ip))) {
            return new Claim.Refused(Refusal.SOURCE_NOT_ALLOWED, "This enrollment key only works from " + String.join(", ", key.allowedCidrs())
                    + "; this machine connects from " + ip + ".");
        }
        return claims.run(target, request, now);
    }

    /** The refusal of a claim on {@code key} at {@code now}, or null while the key is usable. */
    static Claim.Refused refusalFor(EnrollmentKey key, Instant now) {
        return switch (key.status(now)) {
            case REVOKED -> new Claim.Refused(Refusal.REVOKED, "This enrollment key was revoked at " + key.revokedAt()
                    + " — create a new one in API Management.");
            case EXPIRED -> new Claim.Refused(Refusal.EXPIRED, "This enrollment key expired at " + key.expiresAt()
                    + " — create a new one in API Management.");
            case EXHAUSTED -> new Claim.Refused(Refusal.EXHAUSTED, "This enrollment key has been used " + key.uses() + " of "
                    + key.maxUses() + " times — create a new one in API Management.");
            case ACTIVE -> null;
        };
    }

    private void auditRefusal(ClaimRequest request, Claim.Refused refused) {
        String prefix = TokenFormat.mask(request.enrollmentKey());
        String orgId = null;
        if (refused.reason() != Refusal.MALFORMED && refused.reason() != Refusal.UNKNOWN) {
            orgId = keys.byHash(TokenFormat.sha256Hex(request.enrollmentKey().strip())).map(EnrollmentKey::orgId).orElse(null);
        }
        log.info("enrollment refused: {} from {} (key {}, name {})", refused.reason().code(), request.registration().ip(), prefix,
                request.registration().name());
        try {
            audit.append(new AuditLog.Entry(orgId, new Actor("anonymous", null, request.registration().ip()), "enrollment.refused",
                    "enrollment_key", null, "reason=" + refused.reason().code() + " prefix=" + prefix + " name=" + request.registration().name()));
        } catch (RuntimeException e) {
            log.warn("could not audit a refused enrollment from {}", request.registration().ip(), e);
        }
    }
}
