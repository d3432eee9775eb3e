// Progressive enhancements; every page works without this file.
document.addEventListener('DOMContentLoaded', () => {
  const toggle = document.getElementById('toggle-password');
  const password = document.getElementById('password');
  if (toggle && password) {
    toggle.hidden = false;
    toggle.addEventListener('click', () => {
      const show = password.type === 'password';
      password.type = show ? 'text' : 'password';
      toggle.setAttribute('aria-pressed', String(show));
      toggle.textContent = show ? toggle.dataset.hideLabel : toggle.dataset.showLabel;
      password.focus();
    });
  }

  const errors = document.getElementById('login-errors');
  if (errors) {
    errors.focus();
  }

  const autoSubmit = document.querySelector('[data-auto-submit="true"]');
  if (autoSubmit) {
    autoSubmit.click();
  }
});
