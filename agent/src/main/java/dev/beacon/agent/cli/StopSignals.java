package dev.beacon.agent.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGTERM and SIGINT handling while the agent runs: the JVM's own handler starts a shutdown with exit status
 * 128 + signal (143 for SIGTERM), which a supervisor reads as a crash even after a clean goodbye. This one runs
 * {@code onStop} instead, which stops the agent and exits with its code. A shutdown hook could not do this without
 * also overruling {@code System.exit} calls from elsewhere (an exit after a fatal error must not become 0).
 * {@code sun.misc.Signal} is the JDK's supported way to do it (a critical internal API kept open by JEP 260).
 * Install and restore from one thread; {@code onStop} runs on a thread the JVM starts per signal.
 */
final class StopSignals {
    private static final List<String> NAMES = List.of("TERM", "INT");

    private final Map<Signal, SignalHandler> previous;

    private StopSignals(Map<Signal, SignalHandler> previous) {
        this.previous = previous;
    }

    /** Routes SIGTERM and SIGINT to {@code onStop} until {@link #restore()}. */
    static StopSignals install(Runnable onStop) {
        Map<Signal, SignalHandler> previous = new LinkedHashMap<>();
        for (String name : NAMES) {
            try {
                Signal signal = new Signal(name);
                previous.put(signal, Signal.handle(signal, ignored -> onStop.run()));
            } catch (IllegalArgumentException e) {
                // This platform has no such signal, or the JVM reserves it (-Xrs); the shutdown hook still closes cleanly.
            }
        }
        return new StopSignals(previous);
    }

    /** Puts the handlers back that were there before {@link #install}. */
    void restore() {
        previous.forEach(Signal::handle);
    }
}
