package dev.beacon.cli.ops;

import picocli.CommandLine.Option;

/**
 * Where an operator command sends its requests and how it prints them; a picocli mixin on every command. The server
 * and key come from {@code --server}, then {@code BEACON_SERVER} / {@code BEACON_API_KEY}, then the profile in
 * cli.toml.
 */
final class ServerOptions {
    /** How results are printed. */
    enum Format { table, wide, json }

    @Option(names = "--server", paramLabel = "URL", description = "Server URL (default: $BEACON_SERVER, else the profile's).")
    String server;

    @Option(names = "--profile", paramLabel = "NAME",
            description = "Profile in cli.toml (default: $BEACON_PROFILE, else the one beacon login saved last).")
    String profile;

    @Option(names = "--ca-cert", paramLabel = "PEM", description = "Trust only this CA for HTTPS (default: the profile's, else the JDK's).")
    String caCert;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
            description = "table (default), wide (more columns) or json (the API's objects).")
    Format output;

    /** The profile name asked for, or null for the current one. */
    String profileName() {
        if (profile != null && !profile.isBlank()) {
            return profile.strip();
        }
        String env = System.getenv("BEACON_PROFILE");
        return env == null || env.isBlank() ? null : env.strip();
    }

    /** A client for the chosen server and key; throws {@link OpsException} when either is missing. */
    ApiClient client() {
        CliConfigFile config = CliConfigFile.fromEnvironment();
        String name = profileName();
        CliConfigFile.Profile saved = config.profile(name);
        String url = firstOf(server, System.getenv("BEACON_SERVER"), saved == null ? null : saved.server());
        String key = firstOf(System.getenv("BEACON_API_KEY"), saved == null ? null : saved.apiKey());
        if (saved == null && name != null && (url == null || key == null)) {
            throw OpsException.usage("no profile named " + name + " in " + config.path() + ": run beacon login --server URL --profile "
                    + name);
        }
        if (url == null) {
            throw OpsException.usage("no server: pass --server URL, set BEACON_SERVER, or run beacon login --server URL"
                    + (name != null ? " --profile " + name : ""));
        }
        if (key == null) {
            throw new OpsException("no API key: set BEACON_API_KEY or run beacon login --server " + url,
                    "not_logged_in", OpsException.AUTH);
        }
        String ca = firstOf(caCert, saved == null ? null : saved.caCert());
        return new ApiClient(url, key.strip(), ca);
    }

    static String firstOf(String... values) {
        for (String value : values) {
            if (value != null && !value.isBlank()) {
                return value.strip();
            }
        }
        return null;
    }
}
