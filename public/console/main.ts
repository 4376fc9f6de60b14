import { ConsoleApp } from './ConsoleApp';

const root = document.getElementById('app');
if (root) void new ConsoleApp(root).start();
