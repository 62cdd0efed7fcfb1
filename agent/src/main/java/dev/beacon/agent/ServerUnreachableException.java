package dev.beacon.agent;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertificateException;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The agent could not talk to the server at all: refused, timed out, unknown host, or a TLS failure.
 * The message names the URL and says what to try. Immutable.
 */
public class ServerUnreachableException extends AgentException {
    private final boolean tls;
    private final boolean neverSent;

    private ServerUnreachableException(String oneLine, boolean tls, boolean neverSent, Throwable cause) {
        super(oneLine, 1, cause);
        this.tls = tls;
        this.neverSent = neverSent;
    }

    /**
     * True when the request certainly never reached the server: no connection (refused, connect timeout, unknown
     * host) or no TLS session. Only then may another node be asked: a request that timed out or broke off after
     * it was sent may have enrolled this machine or rotated its token already.
     */
    public boolean neverSent() {
        return neverSent;
    }

    /** True when the transport worked but TLS did not (untrusted or mismatched certificate, not TLS at all). */
    public boolean tls() {
        return tls;
    }

    /** Turns whatever the HTTP client threw while reaching {@code target} into one line a user can act on. */
    public static ServerUnreachableException of(URI target, Throwable failure) {
        Throwable cause = unwrap(failure);
        String where = target.getScheme() + "://" + target.getAuthority();
        if (has(cause, SSLException.class)) {
            return new ServerUnreachableException(tlsLine(where, cause), true, true, cause);
        }
        if (has(cause, UnresolvedAddressException.class)) {
            return new ServerUnreachableException("Cannot reach the server at " + where + ": unknown host "
                    + target.getHost() + " — check the --server URL.", false, true, cause);
        }
        if (cause instanceof HttpConnectTimeoutException) {
            return new ServerUnreachableException("Cannot reach the server at " + where
                    + ": connection timed out — check the address and that a firewall allows it.", false, true, cause);
        }
        if (cause instanceof HttpTimeoutException) {
            return new ServerUnreachableException("The server at " + where
                    + " did not answer in time — try again, or check the server's health.", false, false, cause);
        }
        if (has(cause, ConnectException.class)) {
            return new ServerUnreachableException("Cannot reach the server at " + where
                    + ": connection refused — check the --server URL and that the server is running.", false, true, cause);
        }
        String detail = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return new ServerUnreachableException("Cannot reach the server at " + where + ": " + detail
                + " — check the --server URL and your network.", false, false, cause);
    }

    /**
     * One line for several servers that all failed, in the order they were tried; a single failure is returned as
     * it is, so an agent with one server says exactly what it always said.
     */
    public static ServerUnreachableException ofAll(List<ServerUnreachableException> failures) {
        if (failures.size() == 1) {
            return failures.get(0);
        }
        StringBuilder line = new StringBuilder("None of the " + failures.size() + " servers answered: ");
        boolean tls = false;
        for (int i = 0; i < failures.size(); i++) {
            String message = failures.get(i).getMessage();
            line.append(i == 0 ? "" : " ").append(i + 1).append(") ").append(message);
            tls |= failures.get(i).tls();
        }
        return new ServerUnreachableException(line.toString(), tls, false, failures.get(failures.size() - 1));
    }

    private static String tlsLine(String where, Throwable cause) {
        String prefix = "TLS failure talking to " + where + ": ";
        if (has(cause, CertPathBuilderException.class) || messageContains(cause, "PKIX")) {
            return prefix + "the server's certificate is not trusted — if it uses a private CA, pass --ca-cert /path/to/ca.pem.";
        }
        if (has(cause, CertificateException.class) || messageContains(cause, "subject alternative name")) {
            return prefix + "the certificate does not match this host name — use the name the certificate was issued for.";
        }
        if (messageContains(cause, "plaintext") || messageContains(cause, "Unsupported or unrecognized SSL message")) {
            return prefix + "the server does not speak TLS on that port — did you mean http://?";
        }
        String detail = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return prefix + detail + (cause instanceof SSLHandshakeException || has(cause, SSLHandshakeException.class)
                ? " — if the server uses a private CA, pass --ca-cert /path/to/ca.pem." : "");
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable current = failure;
        while ((current instanceof CompletionException || current instanceof ExecutionException) && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    private static boolean has(Throwable failure, Class<? extends Throwable> type) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static boolean messageContains(Throwable failure, String text) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains(text)) {
                return true;
            }
        }
        return false;
    }
}
