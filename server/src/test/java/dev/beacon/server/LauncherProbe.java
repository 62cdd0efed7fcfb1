package dev.beacon.server;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The main class of the stand-in jar {@link LauncherTest} builds: prints the jar it runs from, then with
 * {@code wait} keeps running until its standard input closes.
 */
public final class LauncherProbe {
    private LauncherProbe() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("jar=" + Path.of(LauncherProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
        System.out.flush();
        if (java.util.List.of(args).contains("wait")) {
            try {
                while (System.in.read() >= 0) {
                    // wait for EOF
                }
            } catch (IOException ignored) {
                // stdin gone: stop
            }
        }
    }
}
