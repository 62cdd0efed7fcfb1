package dev.beacon.agent.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Options that shape an enrollment, shared by {@code agent enroll} and {@code agent run}; a picocli mixin. */
final class AgentEnrollOptions {
    @Option(names = "--server", paramLabel = "URL", split = ",",
            description = "Beacon server, e.g. https://beacon.example.com; repeat it (or separate with commas) for the"
                    + " nodes of one control plane, tried in order.")
    List<String> servers = new ArrayList<>();

    @Option(names = "--name", paramLabel = "NAME", description = "Robot name, unique in the organization (default: this host's name).")
    String name;

    @Option(names = "--ca-cert", paramLabel = "PEM",
            description = "Trust only this CA for HTTPS (for a server with a private CA); remembered in agent.toml.")
    Path caCert;

    @Option(names = "--replace",
            description = "If the name is taken by an offline robot in the key's fleet, take over that robot (keeps its id and history).")
    boolean replace;

    @Option(names = "--label", paramLabel = "KEY=VALUE", description = "Label to advertise, e.g. --label zone=a (repeatable).")
    Map<String, String> labels = new LinkedHashMap<>();
}
