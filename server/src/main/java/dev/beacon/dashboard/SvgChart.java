package dev.beacon.dashboard;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleFunction;

/**
 * A small chart drawn on the server as inline SVG, for pages that work without any script or library: a bar per
 * point, optionally a line over the bars on the same scale, a y axis from 0 to a round maximum, and a label at each
 * end of the x axis. It is an image to assistive technology ({@code role="img"}), named by its {@code <title>} and
 * described by its {@code <desc>}, which should carry the figures in words; pages put the numbers in a table beside
 * it. Sizes are in the {@code viewBox}, so the chart scales with its box; colours come from the page's CSS classes
 * ({@code chart-bar}, {@code chart-line}, {@code chart-axis}, {@code chart-grid}, {@code chart-label}). Every text is
 * escaped. It is meant for HTML, where an inline {@code <svg>} needs no namespace, so it names none (a page then holds
 * no URL it does not serve). Stateless; thread-safe.
 */
public final class SvgChart {
    static final int WIDTH = 320;
    static final int HEIGHT = 120;
    static final int LEFT = 34;
    static final int RIGHT = 4;
    static final int TOP = 8;
    static final int BOTTOM = 18;
    private static final double PLOT_WIDTH = WIDTH - LEFT - RIGHT;
    private static final double BASELINE = HEIGHT - BOTTOM;
    private static final double PLOT_HEIGHT = BASELINE - TOP;

    private SvgChart() {
    }

    /**
     * One point: the bar's value and the line's value, each null where there is no data (nothing is drawn; the line
     * breaks). Negative values count as 0; NaN and infinities as no data.
     */
    public record Point(Double bar, Double line) {
    }

    /**
     * What to draw: {@code id} makes the ids of the title and description unique on the page; {@code format} writes
     * the y axis' maximum; {@code startLabel} and {@code endLabel} name the ends of the x axis ("60 min ago", "now").
     */
    public record Spec(String id, String title, String desc, List<Point> points, DoubleFunction<String> format,
                       String startLabel, String endLabel) {
        public Spec {
            points = List.copyOf(points);
        }
    }

    /** The chart as an {@code <svg>} element. */
    public static String render(Spec spec) {
        List<Point> points = spec.points();
        double max = 0;
        for (Point point : points) {
            max = Math.max(max, Math.max(value(point.bar()), value(point.line())));
        }
        double top = niceMax(max);
        String id = escape(spec.id());
        StringBuilder svg = new StringBuilder(256 + points.size() * 64);
        svg.append("<svg class=\"chart\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT)
                .append("\" role=\"img\" aria-labelledby=\"").append(id).append("-title ").append(id).append("-desc\" focusable=\"false\">")
                .append("<title id=\"").append(id).append("-title\">").append(escape(spec.title())).append("</title>")
                .append("<desc id=\"").append(id).append("-desc\">").append(escape(spec.desc())).append("</desc>");
        svg.append("<g class=\"chart-axis\">");
        line(svg, LEFT, TOP, LEFT, BASELINE);
        line(svg, LEFT, BASELINE, WIDTH - RIGHT, BASELINE);
        svg.append("</g>");
        if (max > 0) {
            svg.append("<line class=\"chart-grid\" x1=\"").append(LEFT).append("\" y1=\"").append(TOP).append("\" x2=\"")
                    .append(WIDTH - RIGHT).append("\" y2=\"").append(TOP).append("\"/>");
            text(svg, LEFT - 3, TOP + 4, "end", spec.format().apply(top));
        }
        text(svg, LEFT - 3, BASELINE + 3, "end", "0");
        text(svg, LEFT, HEIGHT - 4, "start", spec.startLabel());
        text(svg, WIDTH - RIGHT, HEIGHT - 4, "end", spec.endLabel());
        if (!points.isEmpty()) {
            bars(svg, points, top);
            polyline(svg, points, top);
        }
        return svg.append("</svg>").toString();
    }

    private static void bars(StringBuilder svg, List<Point> points, double top) {
        double slot = PLOT_WIDTH / points.size();
        double width = Math.max(0.5, slot * 0.8);
        boolean open = false;
        for (int i = 0; i < points.size(); i++) {
            double value = value(points.get(i).bar());
            if (value <= 0) {
                continue; // nothing to see: a zero or a gap draws no bar
            }
            if (!open) {
                svg.append("<g class=\"chart-bar\">");
                open = true;
            }
            // At least one unit tall, so a small value beside a huge one still shows.
            double height = Math.max(1, value / top * PLOT_HEIGHT);
            svg.append("<rect x=\"").append(number(LEFT + i * slot + (slot - width) / 2)).append("\" y=\"")
                    .append(number(BASELINE - height)).append("\" width=\"").append(number(width)).append("\" height=\"")
                    .append(number(height)).append("\"/>");
        }
        if (open) {
            svg.append("</g>");
        }
    }

    /** The line's points joined, broken where there is no data; a point alone is a dot. */
    private static void polyline(StringBuilder svg, List<Point> points, double top) {
        double slot = PLOT_WIDTH / points.size();
        List<List<double[]>> runs = new ArrayList<>();
        List<double[]> run = null;
        for (int i = 0; i < points.size(); i++) {
            Double raw = points.get(i).line();
            if (raw == null || raw.isNaN() || raw.isInfinite()) {
                run = null;
                continue;
            }
            if (run == null) {
                run = new ArrayList<>();
                runs.add(run);
            }
            run.add(new double[] {LEFT + i * slot + slot / 2, BASELINE - value(raw) / top * PLOT_HEIGHT});
        }
        if (runs.isEmpty()) {
            return;
        }
        svg.append("<g class=\"chart-line\">");
        for (List<double[]> segment : runs) {
            if (segment.size() == 1) {
                svg.append("<circle cx=\"").append(number(segment.get(0)[0])).append("\" cy=\"").append(number(segment.get(0)[1]))
                        .append("\" r=\"2\"/>");
                continue;
            }
            svg.append("<polyline points=\"");
            for (int i = 0; i < segment.size(); i++) {
                svg.append(i == 0 ? "" : " ").append(number(segment.get(i)[0])).append(',').append(number(segment.get(i)[1]));
            }
            svg.append("\"/>");
        }
        svg.append("</g>");
    }

    /** The top of the y axis: the smallest 1, 2 or 5 times a power of ten that is at least {@code max}; 1 for 0. */
    static double niceMax(double max) {
        if (!(max > 0)) {
            return 1;
        }
        double magnitude = Math.pow(10, Math.floor(Math.log10(max)));
        for (double step : new double[] {1, 2, 5, 10}) {
            double candidate = step * magnitude;
            if (candidate >= max) {
                return Double.isInfinite(candidate) ? max : candidate;
            }
        }
        return max;
    }

    /** A value as drawn: no data and negative values are 0. */
    private static double value(Double raw) {
        return raw == null || raw.isNaN() || raw.isInfinite() || raw < 0 ? 0 : raw;
    }

    private static void line(StringBuilder svg, double x1, double y1, double x2, double y2) {
        svg.append("<line x1=\"").append(number(x1)).append("\" y1=\"").append(number(y1)).append("\" x2=\"").append(number(x2))
                .append("\" y2=\"").append(number(y2)).append("\"/>");
    }

    private static void text(StringBuilder svg, double x, double y, String anchor, String text) {
        svg.append("<text class=\"chart-label\" x=\"").append(number(x)).append("\" y=\"").append(number(y)).append("\" text-anchor=\"")
                .append(anchor).append("\">").append(escape(text)).append("</text>");
    }

    /** A coordinate with at most one decimal, the same in every locale. */
    static String number(double value) {
        String text = String.format(Locale.ROOT, "%.1f", value);
        return text.endsWith(".0") ? text.substring(0, text.length() - 2) : text;
    }

    /** Text safe inside an element or a double-quoted attribute. */
    static String escape(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder escaped = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> escaped.append("&amp;");
                case '<' -> escaped.append("&lt;");
                case '>' -> escaped.append("&gt;");
                case '"' -> escaped.append("&quot;");
                case '\'' -> escaped.append("&#39;");
                default -> escaped.append(c < 0x20 && c != '\t' && c != '\n' ? ' ' : c);
            }
        }
        return escaped.toString();
    }
}
