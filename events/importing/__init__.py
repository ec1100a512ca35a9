"""The programme from a spreadsheet: reading it (spreadsheets), checking and applying its rows
(programme), and the downloadable templates (template, data/)."""
