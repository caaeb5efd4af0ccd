/** AG Grid Community setup: only the modules we use, one compact theme that follows light/dark. */
import {
  CellStyleModule, ClientSideRowModelApiModule, ClientSideRowModelModule, ColumnApiModule, CsvExportModule,
  EventApiModule, HighlightChangesModule, ModuleRegistry, NumberFilterModule, QuickFilterModule, RowApiModule,
  RowSelectionModule, RowStyleModule, TextFilterModule, TooltipModule, ValidationModule,  colorSchemeVariable, themeQuartz,
} from 'ag-grid-community';

let registered = false;

export function registerGridModules(): void {
  if (registered) return;
  registered = true;
  ModuleRegistry.registerModules([
    ClientSideRowModelModule, ClientSideRowModelApiModule, RowApiModule, ColumnApiModule, EventApiModule,
    CsvExportModule, QuickFilterModule, TextFilterModule, NumberFilterModule, HighlightChangesModule,
    CellStyleModule, RowStyleModule, RowSelectionModule, TooltipModule, 
    ...(import.meta.env.DEV ? [ValidationModule] : []),
  ]);
}

/** Dark mode comes from `data-ag-theme-mode` on <html>, set together with our own `data-theme`. */
export const gridTheme = themeQuartz.withPart(colorSchemeVariable).withParams({
  fontFamily: 'inherit',
  fontSize: 12,
  headerFontSize: 12,
  spacing: 4,
  rowHeight: 24,
  headerHeight: 28,
  wrapperBorderRadius: 0,
  wrapperBorder: false,
  backgroundColor: 'var(--panel)',
  foregroundColor: 'var(--text)',
  borderColor: 'var(--border)',
  headerBackgroundColor: 'var(--bg)',
  valueChangeValueHighlightBackgroundColor: 'var(--flash)',
});
