package dev.beacon.agent.cli;

import java.io.Console;
import java.lang.reflect.Method;

/** Whether a console is an interactive terminal, on every JDK from 17 on. Stateless. */
public final class Terminals {
    private Terminals() {
    }

    /**
     * True when {@code console} is an interactive terminal. Since JDK 22 {@code System.console()} may be non-null
     * without one, and only {@code Console.isTerminal()} (22+, called reflectively here) tells; before that a console
     * always means a terminal.
     */
    public static boolean isTerminal(Console console) {
        try {
            Method isTerminal = Console.class.getMethod("isTerminal");
            return (Boolean) isTerminal.invoke(console);
        } catch (NoSuchMethodException e) {
            return true;
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }
}
