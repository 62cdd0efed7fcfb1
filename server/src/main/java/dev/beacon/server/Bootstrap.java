package dev.beacon.server;

import dev.beacon.audit.Actor;
import dev.beacon.audit.AuditLog;
import dev.beacon.orgs.OrgStore;
import dev.beacon.orgs.Organization;
import dev.beacon.store.Database;
import dev.beacon.users.PasswordHasher;
import dev.beacon.users.UserStore;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;

/**
 * First start on an empty database: creates the organization {@code default} and the user {@code admin}, its admin
 * and an instance admin.
 * Runs once while the server starts, before it serves requests.
 */
public final class Bootstrap {
    static final String DEFAULT_ORG = "default";
    static final String ADMIN_USER = "admin";

    private Bootstrap() {
    }

    /** Creates the first organization and admin when there is none; returns the generated password, if one was generated. */
    public static Optional<String> run(Database db, OrgStore orgs, UserStore users, AuditLog audit, String adminPassword) {
        if (orgs.organizationCount() > 0) {
            return Optional.empty();
        }
        boolean generate = adminPassword == null || adminPassword.isBlank();
        String password = generate ? generatePassword() : adminPassword;
        String hash = new PasswordHasher().hash(password);
        try {
            db.write(tx -> {
                Organization org = orgs.createOrganization(tx, DEFAULT_ORG);
                String userId = users.create(tx, ADMIN_USER, hash, org.id(), "admin");
                users.setInstanceAdmin(tx, userId, true); // whoever installed the server also sees what belongs to no organization
                audit.append(tx, new AuditLog.Entry(org.id(), Actor.SYSTEM, "bootstrap", "user", userId, "first start"));
                return null;
            });
        } catch (RuntimeException e) {
            if (Database.isUniqueViolation(e)) {
                return Optional.empty(); // another node bootstrapped the same database a moment ago
            }
            throw e;
        }
        return generate ? Optional.of(password) : Optional.empty();
    }

    private static String generatePassword() {
        byte[] bytes = new byte[12];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
