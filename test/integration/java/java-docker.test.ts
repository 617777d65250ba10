import { javaConsoleSuite } from './java-console-suite.js';

javaConsoleSuite('docker');
