package dev.beacon.dashboard;

import dev.beacon.users.UserStore;
import java.time.Clock;

/**
 * What every dashboard page class shares: the {@link Guards} in front of its handlers, the templates, the one-time
 * messages, the clock and the server nodes, and the {@link Views.Chrome} (navigation, signed-in user, message) around
 * each page. Immutable; used from Javalin's request threads.
 */
record PageKit(Guards guards, Views views, Flash flash, UserStore users, Clock clock, NodeFacts nodes) {
    /** The chrome of a fragment or of a page that shows no message. */
    Views.Chrome chrome(Session session, String active, String title) {
        return new Views.Chrome(session, users.memberships(session.userId()), active, title, null, clock.instant(),
                nodes.shared());
    }

    /** The chrome of a full page, with the session's one-time message if one is waiting (taking it). */
    Views.Chrome chromeWithFlash(Session session, String active, String title) {
        return new Views.Chrome(session, users.memberships(session.userId()), active, title, flash.take(session.id()),
                clock.instant(), nodes.shared());
    }
}
