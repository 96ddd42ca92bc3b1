/** The daily summary for Satu Data and the CSV exports (docs/behaviour.md §Daily summary). */
export {
  csvField,
  csvLine,
  READINGS_CSV_COLUMNS,
  readingsCsv,
  SUMMARY_CSV_COLUMNS,
  summaryCsv,
} from './export-csv.js';
export { dayWindow, localDay, nextDay, previousDay } from './local-day.js';
export { summariesBetween } from './range.js';
export * from './summary.js';
export { DETECTION_TYPES, LEVEL_NAMES } from './summary-sections.js';
