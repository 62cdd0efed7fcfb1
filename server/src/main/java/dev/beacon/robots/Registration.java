package dev.beacon.robots;

import java.util.List;
import java.util.Map;

/** What an agent says about itself when it enrolls: the robot's name and the machine's facts. */
public record Registration(String name, String hostname, String os, String arch, String agentVersion,
                           List<String> capabilities, Map<String, String> labels, String ip) {
    public Registration {
        capabilities = List.copyOf(capabilities);
        labels = Map.copyOf(labels);
    }
}
