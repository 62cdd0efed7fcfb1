package dev.beacon.agent.cli;

import dev.beacon.BeaconVersion;
import picocli.CommandLine;

/** What {@code --version} prints: {@link BeaconVersion}, the same string the agent reports; picocli calls it. */
public final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[] {"beacon " + BeaconVersion.get() + " (Java " + Runtime.version() + ")"};
    }
}
