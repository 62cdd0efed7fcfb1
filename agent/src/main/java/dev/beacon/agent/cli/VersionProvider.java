package dev.beacon.agent.cli;

import picocli.CommandLine;

/** Reads Beacon's version from the jar manifest ({@code dev} when run from classes). */
public final class VersionProvider implements CommandLine.IVersionProvider {
    /** The running Beacon version. */
    public static String version() {
        String version = VersionProvider.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }

    @Override
    public String[] getVersion() {
        return new String[] {"beacon " + version() + " (Java " + Runtime.version() + ")"};
    }
}
