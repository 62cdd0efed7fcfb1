package dev.beacon.cli;

import dev.beacon.apikeys.ApiKeyService;
import dev.beacon.apikeys.ApiKeyStore;
import dev.beacon.apikeys.UsageTracker;
import dev.beacon.audit.Actor;
import dev.beacon.audit.AuditLog;
import dev.beacon.orgs.OrgStore;
import dev.beacon.orgs.Organization;
import dev.beacon.server.Bootstrap;
import dev.beacon.store.Database;
import dev.beacon.store.Ids;
import dev.beacon.store.Tx;
import dev.beacon.users.PasswordHasher;
import dev.beacon.users.UserStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code beacon admin}: works straight on the database, offline or beside a running server. Each command
 * opens the database the server created (it never creates or migrates one, and takes no lock), runs the
 * first-start bootstrap if the server has not yet, and closes it. {@code backup}, {@code restore} and
 * {@code compact} ({@link BackupCommand}, {@link RestoreCommand}, {@link CompactCommand}) work on the database file
 * instead; the last two take the data dir's lock.
 */
@Command(name = "admin", mixinStandardHelpOptions = true, description = "Administer Beacon directly on its database.",
        subcommands = {AdminCommand.ApiKey.class, AdminCommand.User.class, AdminCommand.Org.class, BackupCommand.class, RestoreCommand.class,
                CompactCommand.class})
public final class AdminCommand {

    /** Opens the database, runs the bootstrap, and hands the pieces to {@code action}. */
    static int withDatabase(CommandLine.Model.CommandSpec spec, StorageOptions storage, DatabaseAction action) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Clock clock = Clock.systemUTC();
        try (Database db = Database.openExisting(storage.effectiveDatabaseUrl())) {
            Ids ids = new Ids(clock);
            AuditLog audit = new AuditLog(db, ids, clock);
            OrgStore orgs = new OrgStore(db, ids, clock);
            UserStore users = new UserStore(db, ids, clock);
            Bootstrap.run(db, orgs, users, audit, System.getenv("BEACON_ADMIN_PASSWORD")).ifPresent(password -> {
                out.println("First start: created organization 'default' and user 'admin'.");
                out.println("Admin password (shown once): " + password);
            });
            return action.run(new Tools(db, ids, clock, audit, orgs, users), out, err);
        } catch (CommandFailed failed) {
            err.println("✗ " + failed.getMessage());
            return 1;
        } catch (Database.SchemaMismatch mismatch) {
            err.println("✗ " + storage.schemaRefusal(mismatch));
            return 1;
        } catch (RuntimeException e) {
            err.println("✗ " + ServerCommand.rootMessage(e));
            return 1;
        }
    }

    record Tools(Database db, Ids ids, Clock clock, AuditLog audit, OrgStore orgs, UserStore users) {
        Organization organization(String name) {
            return orgs.organizationByName(name).orElseThrow(() -> new CommandFailed("No organization named '" + name
                    + "'. Create it with `beacon admin org create --name " + name + "`."));
        }
    }

    @FunctionalInterface
    interface DatabaseAction {
        int run(Tools tools, PrintWriter out, PrintWriter err);
    }

    /** A command's expected failure: printed as one line, exit code 1. */
    static final class CommandFailed extends RuntimeException {
        CommandFailed(String message) {
            super(message, null, false, false);
        }
    }

    @Command(name = "api-key", mixinStandardHelpOptions = true, description = "Manage API keys.", subcommands = ApiKeyCreate.class)
    static final class ApiKey {
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create an API key and print it (shown once) as the last line.")
    static final class ApiKeyCreate implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Mixin
        StorageOptions storage;
        @Option(names = "--name", required = true, description = "A name that says who uses the key.")
        String name;
        @Option(names = "--scope", defaultValue = "admin", split = ",", description = "admin, jobs or read; repeatable (default: admin).")
        List<String> scopes;
        @Option(names = "--org", defaultValue = "default", description = "Organization name (default: ${DEFAULT-VALUE}).")
        String org;

        @Override
        public Integer call() {
            return withDatabase(spec, storage, (tools, out, err) -> {
                Organization organization = tools.organization(org);
                ApiKeyStore store = new ApiKeyStore(tools.db());
                ApiKeyService service = new ApiKeyService(tools.db(), store, new UsageTracker(store, tools.clock()), tools.audit(),
                        tools.ids(), tools.clock());
                try {
                    ApiKeyService.Created created = service.create(organization.id(), name, scopes, Actor.cli());
                    out.println("Created API key '" + name + "' (" + created.key().id() + ", scopes " + String.join(",", created.key().scopes())
                            + ") in organization " + org + ". It is shown only now; store it in a secret manager:");
                    out.println(created.secret().value());
                    return 0;
                } catch (dev.beacon.errors.DomainException e) {
                    throw new CommandFailed(e.detail());
                }
            });
        }
    }

    @Command(name = "user", mixinStandardHelpOptions = true, description = "Manage dashboard users.",
            subcommands = {UserCreate.class, UserResetPassword.class, UserSetInstanceAdmin.class})
    static final class User {
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a dashboard user; prints a generated password unless --password-stdin.")
    static final class UserCreate implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Mixin
        StorageOptions storage;
        @Option(names = "--username", required = true)
        String username;
        @Option(names = "--role", defaultValue = "operator", description = "admin, operator or viewer (default: ${DEFAULT-VALUE}).")
        String role;
        @Option(names = "--org", defaultValue = "default", description = "Organization name (default: ${DEFAULT-VALUE}).")
        String org;
        @Option(names = "--password-stdin", description = "Read the password from standard input instead of generating one.")
        boolean passwordStdin;
        @Option(names = "--instance-admin", description = "Also make the user an instance admin, who alone sees the audit events of no organization.")
        boolean instanceAdmin;

        @Override
        public Integer call() {
            if (!UserStore.ROLES.contains(role)) {
                spec.commandLine().getErr().println("✗ --role must be admin, operator or viewer.");
                return 2;
            }
            String password = passwordStdin ? readPassword() : generatePassword();
            return withDatabase(spec, storage, (tools, out, err) -> {
                Organization organization = tools.organization(org);
                String hash = new PasswordHasher().hash(password);
                try {
                    tools.db().write(tx -> {
                        String existing = tools.users().idByUsername(username).orElse(null);
                        String userId = existing != null ? existing : tools.users().create(tx, username, hash, organization.id(), role);
                        if (existing != null) {
                            tools.users().addMembership(tx, existing, organization.id(), role);
                        }
                        tools.audit().append(tx, new AuditLog.Entry(organization.id(), Actor.cli(),
                                existing != null ? "user.joined" : "user.created", "user", userId, "role=" + role));
                        if (instanceAdmin) {
                            grantInstanceAdmin(tools, tx, userId, true);
                        }
                        return userId;
                    });
                } catch (RuntimeException e) {
                    if (Database.isUniqueViolation(e)) {
                        throw new CommandFailed("User '" + username + "' is already a member of " + org + "."
                                + (instanceAdmin ? " To make them an instance admin: beacon admin user set-instance-admin --username " + username : ""));
                    }
                    throw e;
                }
                out.println("User '" + username + "' is now " + role + " of " + org + (instanceAdmin ? ", and an instance admin." : "."));
                if (!passwordStdin) {
                    out.println("Password (shown once): " + password);
                }
                return 0;
            });
        }
    }

    @Command(name = "reset-password", mixinStandardHelpOptions = true, description = "Set a new password for a user.")
    static final class UserResetPassword implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Mixin
        StorageOptions storage;
        @Option(names = "--username", required = true)
        String username;
        @Option(names = "--password-stdin", description = "Read the password from standard input instead of generating one.")
        boolean passwordStdin;

        @Override
        public Integer call() {
            String password = passwordStdin ? readPassword() : generatePassword();
            return withDatabase(spec, storage, (tools, out, err) -> {
                if (!tools.users().setPasswordHash(username, new PasswordHasher().hash(password))) {
                    throw new CommandFailed("No user named '" + username + "'.");
                }
                out.println("Password of '" + username + "' changed." + (passwordStdin ? "" : " New password (shown once): " + password));
                return 0;
            });
        }
    }

    @Command(name = "set-instance-admin", mixinStandardHelpOptions = true,
            description = "Make an existing user an instance admin (or, with --off, an ordinary user again).")
    static final class UserSetInstanceAdmin implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Mixin
        StorageOptions storage;
        @Option(names = "--username", required = true)
        String username;
        @Option(names = "--off", description = "Take the instance admin flag away instead.")
        boolean off;

        @Override
        public Integer call() {
            return withDatabase(spec, storage, (tools, out, err) -> {
                String userId = tools.users().idByUsername(username)
                        .orElseThrow(() -> new CommandFailed("No user named '" + username + "'."));
                boolean changed = tools.db().write(tx -> grantInstanceAdmin(tools, tx, userId, !off));
                out.println("User '" + username + "' " + (changed ? "is now " : "was already ") + (off ? "not an instance admin." : "an instance admin."));
                return 0;
            });
        }
    }

    /** Sets or clears the instance admin flag and audits the change in the instance log (it belongs to no organization). */
    static boolean grantInstanceAdmin(Tools tools, Tx tx, String userId, boolean instanceAdmin) {
        boolean changed = tools.users().setInstanceAdmin(tx, userId, instanceAdmin);
        if (changed) {
            tools.audit().append(tx, new AuditLog.Entry(null, Actor.cli(),
                    instanceAdmin ? "user.instance_admin_granted" : "user.instance_admin_revoked", "user", userId, null));
        }
        return changed;
    }

    @Command(name = "org", mixinStandardHelpOptions = true, description = "Manage organizations.", subcommands = OrgCreate.class)
    static final class Org {
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create an organization.")
    static final class OrgCreate implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Mixin
        StorageOptions storage;
        @Option(names = "--name", required = true)
        String name;

        @Override
        public Integer call() {
            return withDatabase(spec, storage, (tools, out, err) -> {
                try {
                    Organization created = tools.db().write(tx -> {
                        Organization org = tools.orgs().createOrganization(tx, name);
                        tools.audit().append(tx, new AuditLog.Entry(org.id(), Actor.cli(), "organization.created", "organization", org.id(), null));
                        return org;
                    });
                    out.println("Created organization '" + name + "' (" + created.id() + ").");
                    return 0;
                } catch (RuntimeException e) {
                    if (Database.isUniqueViolation(e)) {
                        throw new CommandFailed("An organization named '" + name + "' already exists.");
                    }
                    throw e;
                }
            });
        }
    }

    static String generatePassword() {
        byte[] bytes = new byte[12];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    static String readPassword() {
        try {
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (line == null || line.isBlank()) {
                throw new CommandFailed("No password on standard input.");
            }
            return line.strip();
        } catch (java.io.IOException e) {
            throw new CommandFailed("Cannot read the password from standard input: " + e.getMessage());
        }
    }
}
