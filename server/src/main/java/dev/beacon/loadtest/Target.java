package dev.beacon.loadtest;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;

/** The server a load run aims at; refuses anything but loopback unless the operator allows it. */
final class Target {
    private Target() {
    }

    /** Null when {@code server} may be loaded, else the reason it may not. */
    static String refusal(URI server, boolean allowRemote) {
        if (server.getHost() == null || server.getScheme() == null || !server.getScheme().matches("https?")) {
            return "--server must be an http(s) URL such as http://127.0.0.1:8080";
        }
        if (allowRemote) {
            return null;
        }
        try {
            for (InetAddress address : InetAddress.getAllByName(server.getHost())) {
                if (!address.isLoopbackAddress()) {
                    return server.getHost() + " is not a loopback address; pass --allow-remote to load a remote server";
                }
            }
            return null;
        } catch (UnknownHostException e) {
            return "cannot resolve " + server.getHost();
        }
    }
}
