import { el } from '../shared/dom';

export interface Confirmation {
  title: string;
  /** Says exactly what will happen: the reader decides from this alone. */
  text: string;
  /** The confirming button's words ("Erase"); Cancel is always there. */
  confirm: string;
}

/**
 * Asks before something that cannot be undone, in a modal dialog: the page behind cannot be reached, the focus
 * starts on Cancel (a stray Enter changes nothing), Escape cancels, and the focus goes back to `opener` when it
 * closes. Resolves whether the reader confirmed.
 */
export function confirmDialog(ask: Confirmation, opener: HTMLElement): Promise<boolean> {
  const cancel = el('button', { type: 'submit', value: 'cancel', className: 'secondary', text: 'Cancel' });
  const dialog = el(
    'dialog',
    { className: 'panel', role: 'alertdialog', 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-text' },
    // A form of method "dialog" closes the dialog with the pressed button's value as its returnValue.
    el(
      'form',
      { method: 'dialog' },
      el('h2', { id: 'confirm-title', text: ask.title }),
      el('p', { id: 'confirm-text', text: ask.text }),
      el('div', { className: 'form-buttons' }, el('button', { type: 'submit', value: 'confirm', className: 'danger', text: ask.confirm }), cancel),
    ),
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      dialog.remove();
      opener.focus();
      resolve(dialog.returnValue === 'confirm');
    });
    dialog.showModal();
    cancel.focus();
  });
}
