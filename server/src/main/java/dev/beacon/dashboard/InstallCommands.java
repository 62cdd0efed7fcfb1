package dev.beacon.dashboard;

import java.net.URI;

/**
 * The commands the dashboard offers for putting an agent on a robot, with this server's public URL filled in: the
 * one line that installs the package from {@code /install.sh} and enrolls, and the plain {@code beacon-agent enroll}
 * form for a machine that has the agent already. Neither carries the enrollment key: the script and the agent ask
 * for it without echo, so it never lands in shell history. Immutable.
 *
 * @param installLine  {@code curl -fsSL URL/install.sh | sudo sh -s -- --name "$(hostname)"}
 * @param enrollLine   {@code beacon-agent enroll --server URL --name "$(hostname)"}
 * @param plainHttp    true when the URL is plain http:// to another machine, which the script refuses without --insecure
 */
public record InstallCommands(String serverUrl, String installLine, String enrollLine, boolean plainHttp) {
    /** The robot's name in the lines: its host name, evaluated by the shell the line is pasted into. */
    static final String NAME = "\"$(hostname)\"";

    static InstallCommands forServer(String serverUrl) {
        String host = URI.create(serverUrl).getHost();
        boolean loopback = host == null || host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]");
        return new InstallCommands(serverUrl, "curl -fsSL " + serverUrl + "/install.sh | sudo sh -s -- --name " + NAME,
                "beacon-agent enroll --server " + serverUrl + " --name " + NAME, serverUrl.startsWith("http://") && !loopback);
    }
}
