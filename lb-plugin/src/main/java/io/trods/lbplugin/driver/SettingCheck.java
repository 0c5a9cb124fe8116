package io.trods.lbplugin.driver;

/**
 * One kernel setting TRODS relies on. {@code actual} is {@code "absent"} when the setting does not
 * exist (its module is not loaded); {@code warning} is empty when {@code ok}.
 */
public record SettingCheck(String name, String expected, String actual, boolean ok, String warning) {

    public static SettingCheck of(String name, String expected, String actual, String whyItMatters) {
        boolean ok = expected.equals(actual);
        return new SettingCheck(name, expected, actual, ok,
                ok ? "" : name + " is " + actual + ", expected " + expected + ": " + whyItMatters);
    }
}
