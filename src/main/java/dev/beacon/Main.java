package dev.beacon;
public class Main { public static void main(String[] a){} }
