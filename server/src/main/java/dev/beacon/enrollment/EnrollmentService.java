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
import java.sql.Connection;
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

    /** Thrown inside the claim transaction to roll it back with a refusal. */
    private static final class Rollback extends RuntimeException {
        final Claim.Refused refused;

        Rollback(Refusal reason, String detail) {
            super(null, null, false, false);
            this.refused = new Claim.Refused(reason, detail);
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
        try {
            // Plain JDBC: this transaction is the enrollment hot path (see docs/performance.md). Claims race for
            // the key's row, so they are committed in groups (on SQLite every write already is).
            return db.write(Database.Commit.GROUPED, tx -> {
                Connection connection = tx.connection();
                Registration registration = request.registration();
                String robotId = ids.next("rob");
                RobotStore.NameHolder holder = null;
                if (!robots.insertIfNameFree(connection, robotId, key.orgId(), key.siteId(), key.fleetId(), key.id(), registration, now)) {
                    // Taken, by a robot committed before the insert or enrolled earlier in this batch. Only on
                    // PostgreSQL can it be gone by now (removed meanwhile): the name was taken when the claim looked.
                    holder = robots.liveByName(connection, key.orgId(), registration.name())
                            .orElseThrow(() -> rollback(nameTaken(registration.name())));
                    checkReplaceable(holder, key, request.replace());
                    robotId = holder.id();
                    robots.revokeTokens(connection, robotId, now);
                    robots.reenroll(connection, robotId, key.id(), registration, now);
                }
                Secret token = TokenFormat.generate(TokenKind.ROBOT);
                robots.insertToken(connection, ids.next("rtk"), robotId, token, now);
                audit.append(connection, new AuditLog.Entry(key.orgId(), new Actor("anonymous", null, ip),
                        holder != null ? "robot.reenrolled" : "robot.enrolled", "robot", robotId,
                        "name=" + registration.name() + " key=" + key.id() + " prefix=" + key.keyPrefix()));
                // The use is taken last: on PostgreSQL this UPDATE locks the key's row until commit, and every
                // other transaction on the key (other nodes' too) queues behind that lock, so it is held for as short a
                // time as possible — in a group commit, by one UPDATE for the whole batch just before its commit.
                if (!tx.takeLast("enrollment_keys:" + key.id(), (c, count) -> keys.takeUses(c, key.id(), count, now))) {
                    Claim.Refused refused = refusalFor(keys.current(connection, key.id()), now);
                    throw rollback(refused);
                }
                return new Claim.Enrolled(robotId, token, key.orgId(), target.orgName(), key.siteId(), target.siteName(),
                        key.fleetId(), target.fleetName(), holder != null);
            });
        } catch (Rollback rollback) {
            return rollback.refused;
        }
    }

    private static Rollback rollback(Claim.Refused refused) {
        return new Rollback(refused.reason(), refused.detail());
    }

    private static void checkReplaceable(RobotStore.NameHolder holder, EnrollmentKey key, boolean replace) {
        if (!replace) {
            throw rollback(nameTaken(holder.name()));
        }
        if (holder.isConnected()) {
            throw new Rollback(Refusal.NAME_TAKEN, "Robot " + holder.name() + " is connected right now; stop that agent before replacing it.");
        }
        if (!holder.fleetId().equals(key.fleetId())) {
            throw new Rollback(Refusal.NAME_TAKEN, "Robot " + holder.name()
                    + " belongs to another fleet; --replace only re-keys a robot within the key's fleet. Choose another name.");
        }
    }

    private static Claim.Refused nameTaken(String name) {
        return new Claim.Refused(Refusal.NAME_TAKEN, "A robot named " + name
                + " already exists in this organization. Choose another --name, or pass --replace to re-key that robot.");
    }

    private static Claim.Refused refusalFor(EnrollmentKey key, Instant now) {
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
