package dev.beacon.server;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;

/**
 * The main class of the stand-in jar {@link LauncherTest} builds: prints the jar it runs from and its collector's
 * settings, then with {@code wait} keeps running until its standard input closes.
 */
public final class LauncherProbe {
    private LauncherProbe() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("jar=" + Path.of(LauncherProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
        HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        System.out.println("collectors=" + ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName).toList());
        for (String flag : new String[] {"MaxHeapFreeRatio", "G1PeriodicGCInterval", "UseCompactObjectHeaders"}) {
            System.out.println(flag + "=" + vm.getVMOption(flag).getValue());
        }
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
